//! Speedscope's file format (https://www.speedscope.app/file-format-schema.json): frames
//! shared by every profile, each profile a list of sampled stacks (root first) with weights.
use serde_json::{json, Value};
use std::collections::HashMap;

/// One profile: a name and its stacks (frames "function file:line", outermost first) with
/// their sample counts.
pub struct Profile<'a> {
    pub name: String,
    pub stacks: Vec<(&'a [String], u64)>,
}

/// A frame "function file:line" as speedscope's name, file and line.
fn frame(text: &str) -> Value {
    let parsed = text.rsplit_once(' ').and_then(|(name, at)| {
        let (file, line) = at.rsplit_once(':')?;
        Some((name, file, line.parse::<u64>().ok()?))
    });
    match parsed {
        Some((name, file, line)) => json!({ "name": name, "file": file, "line": line }),
        None => json!({ "name": text }),
    }
}

/// The whole file.
pub fn document(name: &str, profiles: &[Profile]) -> Value {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut frames: Vec<Value> = Vec::new();
    let profiles: Vec<Value> = profiles
        .iter()
        .map(|p| {
            let mut samples = Vec::new();
            let mut weights = Vec::new();
            for (stack, n) in &p.stacks {
                let ids: Vec<usize> = stack
                    .iter()
                    .map(|f| {
                        *index.entry(f.as_str()).or_insert_with(|| {
                            frames.push(frame(f));
                            frames.len() - 1
                        })
                    })
                    .collect();
                samples.push(ids);
                weights.push(*n);
            }
            let total: u64 = weights.iter().sum();
            json!({
                "type": "sampled",
                "name": p.name,
                "unit": "none",
                "startValue": 0,
                "endValue": total,
                "samples": samples,
                "weights": weights,
            })
        })
        .collect();
    json!({
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": { "frames": frames },
        "profiles": profiles,
        "name": name,
        "activeProfileIndex": 0,
        "exporter": format!("gilsim {}", env!("CARGO_PKG_VERSION")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_shared_and_stacks_point_at_them() {
        let a = vec!["main a.py:3".to_string(), "spin a.py:9".to_string()];
        let b = vec!["main a.py:3".to_string()];
        let doc = document(
            "p",
            &[
                Profile {
                    name: "1 waiting".into(),
                    stacks: vec![(&a, 3), (&b, 1)],
                },
                Profile {
                    name: "2 held".into(),
                    stacks: vec![(&a, 2)],
                },
            ],
        );
        assert_eq!(doc["shared"]["frames"].as_array().unwrap().len(), 2);
        assert_eq!(doc["shared"]["frames"][1]["name"], "spin");
        assert_eq!(doc["shared"]["frames"][1]["file"], "a.py");
        assert_eq!(doc["shared"]["frames"][1]["line"], 9);
        assert_eq!(doc["profiles"][0]["samples"], json!([[0, 1], [0]]));
        assert_eq!(doc["profiles"][0]["endValue"], 4);
        assert_eq!(doc["profiles"][1]["weights"], json!([2]));
    }
}
