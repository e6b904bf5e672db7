//! The Markdown that scripts/bench pastes into BENCHMARKS.md: a section per benchmark, a table
//! row per measurement, a note under the table.

pub struct Report(pub Vec<String>);

impl Report {
    pub fn row(&mut self, cells: &[String]) {
        self.0.push(format!("| {} |", cells.join(" | ")));
    }
    pub fn section(&mut self, title: &str, header: &[&str]) {
        self.0.push(String::new());
        self.0.push(format!("### {title}"));
        self.0.push(String::new());
        self.0.push(format!("| {} |", header.join(" | ")));
        self.0.push(format!(
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        ));
    }
    pub fn note(&mut self, text: &str) {
        self.0.push(String::new());
        self.0.push(text.to_string());
    }
}

pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

pub fn verdict(ok: bool) -> String {
    (if ok { "met" } else { "missed" }).to_string()
}
