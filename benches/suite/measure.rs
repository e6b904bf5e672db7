//! Timing: medians of repeated rounds, and side-by-side rounds so that a burst of load on the
//! machine hits consentkit and its baseline alike.

use std::time::Instant;

pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

/// Per-call times in nanoseconds of each of `ops`, measured in alternating rounds so that a
/// burst of load on the machine hits them alike: `rounds` samples per op.
pub fn side_by_side(
    rounds: usize,
    iters: usize,
    ops: &mut [&mut dyn FnMut(usize)],
) -> Vec<Vec<f64>> {
    for op in ops.iter_mut() {
        for i in 0..iters {
            op(i); // warm-up
        }
    }
    let mut samples = vec![Vec::with_capacity(rounds); ops.len()];
    for _ in 0..rounds {
        for (op, samples) in ops.iter_mut().zip(&mut samples) {
            let start = Instant::now();
            for i in 0..iters {
                op(i);
            }
            samples.push(start.elapsed().as_nanos() as f64 / iters as f64);
        }
    }
    samples
}

/// The median over rounds of `a / b`, each round's pair measured side by side.
pub fn ratio_of(a: &[f64], b: &[f64]) -> f64 {
    median(a.iter().zip(b).map(|(a, b)| a / b).collect())
}

/// Median over `rounds` of the time per call of `op`, in nanoseconds.
pub fn ns_per_op(rounds: usize, iters: usize, mut op: impl FnMut(usize)) -> f64 {
    for i in 0..iters.min(10_000) {
        op(i); // warm-up
    }
    median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                for i in 0..iters {
                    op(i);
                }
                start.elapsed().as_nanos() as f64 / iters as f64
            })
            .collect(),
    )
}
