//! The OCI image config of the runtime image: the base image's config with the plan's
//! settings laid over it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::plan::ImageSettings;

/// The PATH an image gets when its base says nothing (scratch, or a `docker import`ed base).
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub struct BaseImage<'a> {
    pub reference: &'a str,
    pub digest: &'a str,
    /// The base's config JSON as the engine resolved it.
    pub config: &'a [u8],
}

pub struct ImageInputs<'a> {
    pub settings: &'a ImageSettings,
    /// `None` for a scratch runtime.
    pub base: Option<BaseImage<'a>>,
    pub os: &'a str,
    pub architecture: &'a str,
    /// `--label` values from the build command; they win over strata's own labels.
    pub extra_labels: &'a BTreeMap<String, String>,
    /// What the history entry for strata's layer says.
    pub layer_description: &'a str,
}

/// Builds the config JSON. Fails only when the engine hands back a base config that is not
/// JSON, which is reported to the user as a broken base image.
pub fn runtime_config(inputs: &ImageInputs<'_>) -> Result<Vec<u8>, String> {
    let mut image: Map<String, Value> = match &inputs.base {
        Some(base) => match serde_json::from_slice(base.config) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(format!(
                    "the base image {} has a config that is not a JSON object",
                    base.reference
                ));
            }
        },
        None => Map::new(),
    };
    image.insert("os".into(), json!(inputs.os));
    image.insert("architecture".into(), json!(inputs.architecture));
    // The engine stamps creation time itself (and honours SOURCE_DATE_EPOCH); a stale one
    // inherited from the base would be wrong.
    image.remove("created");

    let settings = inputs.settings;
    let mut config = match image.remove("config") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    config.insert(
        "Env".into(),
        json!(merged_env(config.get("Env"), &settings.env)),
    );
    config.insert("Entrypoint".into(), json!(settings.entrypoint));
    // Like Dockerfile ENTRYPOINT: a base image's CMD would be passed to our binary as
    // arguments, so it is dropped unless the spec gives args.
    if settings.cmd.is_empty() {
        config.remove("Cmd");
    } else {
        config.insert("Cmd".into(), json!(settings.cmd));
    }
    config.insert("WorkingDir".into(), json!(settings.workdir));
    config.insert("User".into(), json!(settings.user));
    if !settings.ports.is_empty() {
        let mut ports = match config.remove("ExposedPorts") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for port in &settings.ports {
            ports.insert(port.clone(), json!({}));
        }
        config.insert("ExposedPorts".into(), Value::Object(ports));
    }
    let mut labels = match config.remove("Labels") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(base) = &inputs.base {
        labels.insert(
            "org.opencontainers.image.base.name".into(),
            json!(base.reference),
        );
        if !base.digest.is_empty() {
            labels.insert(
                "org.opencontainers.image.base.digest".into(),
                json!(base.digest),
            );
        }
    }
    for (k, v) in settings.labels.iter().chain(inputs.extra_labels) {
        labels.insert(k.clone(), json!(v));
    }
    config.insert("Labels".into(), Value::Object(labels));
    image.insert("config".into(), Value::Object(config));

    let mut history = match image.remove("history") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    history.push(json!({
        "created_by": inputs.layer_description,
        "comment": "strata",
    }));
    image.insert("history".into(), Value::Array(history));
    if !image.contains_key("rootfs") {
        image.insert("rootfs".into(), json!({ "type": "layers", "diff_ids": [] }));
    }
    serde_json::to_vec(&Value::Object(image)).map_err(|e| e.to_string())
}

/// The `KEY=value` environment of an image config; empty when there is none.
pub fn config_env(config: &[u8]) -> Vec<String> {
    let parsed: Value = serde_json::from_slice(config).unwrap_or(Value::Null);
    merged_env(
        parsed.get("config").and_then(|c| c.get("Env")),
        &BTreeMap::new(),
    )
}

/// The config of an intermediate stage (`--target deps|build`): the base's, or an empty one.
pub fn intermediate_config(base: Option<&[u8]>, os: &str, architecture: &str) -> Vec<u8> {
    let mut image: Map<String, Value> = base
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
        .unwrap_or_default();
    image.insert("os".into(), json!(os));
    image.insert("architecture".into(), json!(architecture));
    image.remove("created");
    image
        .entry("config")
        .or_insert_with(|| json!({ "Env": [DEFAULT_PATH] }));
    serde_json::to_vec(&Value::Object(image)).expect("a JSON object always encodes")
}

/// The base's `KEY=value` list with the spec's values replacing or adding keys, PATH kept.
fn merged_env(base: Option<&Value>, ours: &BTreeMap<String, String>) -> Vec<String> {
    let mut env: Vec<String> = base
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    for (key, value) in ours {
        let entry = format!("{key}={value}");
        let prefix = format!("{key}=");
        match env.iter_mut().find(|e| e.starts_with(&prefix)) {
            Some(existing) => *existing = entry,
            None => env.push(entry),
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ImageSettings {
        ImageSettings {
            entrypoint: vec!["/app/web".into()],
            chosen_by: "the built binary".into(),
            cmd: vec![],
            env: BTreeMap::from([("MODE".into(), "release".into())]),
            workdir: "/app".into(),
            user: "65532:65532".into(),
            ports: vec!["8080/tcp".into()],
            labels: BTreeMap::from([("org.opencontainers.image.title".into(), "web".into())]),
        }
    }

    #[test]
    fn base_config_is_kept_and_overridden() {
        let base = br#"{"architecture":"amd64","os":"linux","created":"2020-01-01T00:00:00Z",
            "config":{"Env":["PATH=/usr/bin","MODE=debug"],"Cmd":["/bin/sh"],"User":"0"},
            "rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created_by":"base"}]}"#;
        let labels = BTreeMap::from([("team".to_string(), "a".to_string())]);
        let s = settings();
        let bytes = runtime_config(&ImageInputs {
            settings: &s,
            base: Some(BaseImage {
                reference: "debian:trixie-slim",
                digest: "sha256:bb",
                config: base,
            }),
            os: "linux",
            architecture: "amd64",
            extra_labels: &labels,
            layer_description: "strata: copy web",
        })
        .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["config"]["Env"], json!(["PATH=/usr/bin", "MODE=release"]));
        assert_eq!(v["config"]["Cmd"], Value::Null);
        assert_eq!(v["config"]["User"], "65532:65532");
        assert_eq!(v["config"]["ExposedPorts"], json!({"8080/tcp": {}}));
        assert_eq!(v["config"]["Labels"]["team"], "a");
        assert_eq!(
            v["config"]["Labels"]["org.opencontainers.image.base.digest"],
            "sha256:bb"
        );
        assert_eq!(v["rootfs"]["diff_ids"], json!(["sha256:aa"]));
        assert_eq!(v["history"].as_array().unwrap().len(), 2);
        assert!(v.get("created").is_none());
    }

    #[test]
    fn scratch_gets_a_path() {
        let s = settings();
        let bytes = runtime_config(&ImageInputs {
            settings: &s,
            base: None,
            os: "linux",
            architecture: "arm64",
            extra_labels: &BTreeMap::new(),
            layer_description: "strata: copy web",
        })
        .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["architecture"], "arm64");
        assert_eq!(v["config"]["Env"][0], DEFAULT_PATH);
    }
}
