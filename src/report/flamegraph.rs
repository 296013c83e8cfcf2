//! Flame graphs (SVG, by the `inferno` crate) of sampled stacks.
use anyhow::{Context, Result};

/// One stack, outermost frame first, and how many samples saw it.
pub struct Stack<'a> {
    pub frames: Vec<&'a str>,
    pub samples: u64,
}

/// The SVG of `stacks` under `title`.
pub fn svg(title: &str, stacks: &[Stack]) -> Result<String> {
    // inferno reads "frame;frame;frame count" lines: a frame may hold no ';'.
    let lines: Vec<String> = stacks
        .iter()
        .filter(|s| s.samples > 0)
        .map(|s| {
            let frames: Vec<String> = s.frames.iter().map(|f| f.replace(';', ",")).collect();
            format!("{} {}", frames.join(";"), s.samples)
        })
        .collect();
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.count_name = "samples".to_string();
    let mut out = Vec::new();
    inferno::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut out)
        .context("drawing the flame graph")?;
    String::from_utf8(out).context("the flame graph is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_is_drawn_with_its_samples() {
        let svg = svg(
            "t",
            &[
                Stack {
                    frames: vec!["waiting for the GIL", "main a.py:3", "spin a.py:9"],
                    samples: 30,
                },
                Stack {
                    frames: vec!["holding the GIL", "main a.py:3", "work; more a.py:12"],
                    samples: 10,
                },
            ],
        )
        .unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        for frame in ["waiting for the GIL", "spin a.py:9", "work, more a.py:12"] {
            assert!(svg.contains(frame), "{frame} missing");
        }
        assert!(svg.contains("30 samples"), "counts are shown");
    }
}
