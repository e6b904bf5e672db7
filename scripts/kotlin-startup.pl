#!/usr/bin/env perl
# Reshapes UniFFI's generated Kotlin for the cold start (scripts/bench §12); run by
# scripts/bindings. Each change is checked, so a bindgen upgrade that moves the code fails here
# instead of silently undoing it. Upstream: no mozilla/uniffi-rs issue was found for any of the
# three (searched for each); the first two are costs of the JNA backend, which the
# JNI-based Kotlin bindgen (mozilla/uniffi-rs#2911) replaces. Drop a step once the generated code
# no longer has its shape.
# - JNA learns a structure's field order from its @FieldOrder annotation, and reading one
#   annotation parses all of the class's (Kotlin's @Metadata too) into reflective proxies; an
#   override of getFieldOrder hands JNA the same names directly. (No upstream issue.)
# - The callback interfaces' vtables (observers, sealers) are registered with Rust when the
#   first such object is handed to Rust, not when the library loads: each is JNA callback
#   machinery an app that only asks questions never needs. Rust can only call back through a
#   handle the Kotlin side lowered, so registering in lower() is always in time. (No upstream
#   issue.)
# - A list's encoded size is summed in one pass: map {}.sum() reaches Kotlin's collection
#   facades, classes of thousands of methods a JVM loads and verifies on the first call that
#   lowers a list (the config does). (No upstream issue.)
use strict;
use warnings FATAL => "all";

my $path = shift or die "usage: kotlin-startup.pl GENERATED.kt\n";
local $/;
open my $in, "<", $path or die "$path: $!";
$_ = <$in>;
close $in;

# Field orders without annotations (no upstream issue; see the top).
my $orders = s/\@Structure\.FieldOrder\(([^)]*)\)\n(.*?: Structure\(\) \{\n)/$2    override fun getFieldOrder(): List<String> = java.util.Arrays.asList($1)\n/gs;
die "no \@Structure.FieldOrder to replace\n" unless $orders;
die "a \@Structure.FieldOrder was left\n" if /\@Structure\.FieldOrder/;

# List sizes in one pass (no upstream issue; see the top).
my $sums = s/value\.map \{ (\w+)\.allocationSize\(it\) \}\.sum\(\)/value.fold(0UL) { size, item -> size + $1.allocationSize(item) }/g;
die "no sequence size to sum in one pass\n" unless $sums;
die "a sequence size still sums through map\n" if /\.map \{ \w+\.allocationSize\(it\) \}/;

# Callback vtables registered on first use (no upstream issue; see the top).
my @callbacks = /^        uniffiCallbackInterface(\w+)\.register\(this\)\n/mg;
die "no callback vtable registered when the library loads\n" unless @callbacks;
s/^        uniffiCallbackInterface\w+\.register\(this\)\n//mg;
for my $name (@callbacks) {
  s/(internal object uniffiCallbackInterface$name \{.*?)(\n    internal fun register\(lib: UniffiLib\) \{)/$1\n    init { register(UniffiLib) } \/\/ on first use (scripts\/kotlin-startup.pl)\n    internal fun ensureRegistered() = Unit$2/s
    or die "no register() in uniffiCallbackInterface$name\n";
  s/(object FfiConverterType$name: FfiConverter<\w+, Long> \{.*?)(\n\s*)(return handleMap\.insert\(value\))/$1$2uniffiCallbackInterface$name.ensureRegistered()$2$3/s
    or die "no handleMap.insert in FfiConverterType$name.lower\n";
}

open my $out, ">", $path or die "$path: $!";
print $out $_;
close $out;
print STDERR "bindings: $orders field orders given directly, $sums list sizes summed in one pass, "
  . "vtables registered on first use: @callbacks\n";
