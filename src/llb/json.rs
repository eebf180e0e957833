//! A readable JSON rendering of a definition, for `strata llb --json`, diffs and snapshots.

use bollard_buildkit_proto::pb;
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub fn definition_to_json(definition: &pb::Definition) -> Value {
    let ops: Vec<Value> = definition
        .def
        .iter()
        .map(|bytes| {
            let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
            let op = match pb::Op::decode(bytes.as_slice()) {
                Ok(op) => op_to_json(&op),
                Err(e) => json!({ "undecodable": e.to_string() }),
            };
            let name = definition
                .metadata
                .get(&digest)
                .and_then(|m| m.description.get("llb.customname"));
            json!({ "digest": digest, "name": name, "op": op })
        })
        .collect();
    json!({ "ops": ops })
}

fn op_to_json(op: &pb::Op) -> Value {
    let inputs: Vec<String> = op
        .inputs
        .iter()
        .map(|i| format!("{}[{}]", short(&i.digest), i.index))
        .collect();
    let platform = op
        .platform
        .as_ref()
        .map(|p| format!("{}/{}", p.os, p.architecture));
    let body = match &op.op {
        None => json!({ "type": "result" }),
        Some(pb::op::Op::Source(source)) => json!({
            "type": "source",
            "identifier": source.identifier,
            "attrs": source.attrs,
        }),
        Some(pb::op::Op::Exec(exec)) => {
            let meta = exec.meta.clone().unwrap_or_default();
            let mounts: Vec<Value> = exec
                .mounts
                .iter()
                .map(|m| {
                    json!({
                        "dest": m.dest,
                        "input": m.input,
                        "output": m.output,
                        "selector": m.selector,
                        "readonly": m.readonly,
                        "type": pb::MountType::try_from(m.mount_type).map(|t| t.as_str_name()).unwrap_or("?"),
                        "cache": m.cache_opt.as_ref().map(|c| json!({
                            "id": c.id,
                            "sharing": pb::CacheSharingOpt::try_from(c.sharing).map(|s| s.as_str_name()).unwrap_or("?"),
                        })),
                        "secret": m.secret_opt.as_ref().map(|s| json!({
                            "id": s.id,
                            "mode": format!("{:o}", s.mode),
                            "optional": s.optional,
                        })),
                    })
                })
                .collect();
            json!({
                "type": "exec",
                "args": meta.args,
                "env": meta.env,
                "cwd": meta.cwd,
                "proxy_env": meta.proxy_env.map(|p| json!({
                    "http": p.http_proxy, "https": p.https_proxy, "no_proxy": p.no_proxy,
                })),
                "network": pb::NetMode::try_from(exec.network).map(|n| n.as_str_name()).unwrap_or("?"),
                "mounts": mounts,
            })
        }
        Some(pb::op::Op::File(file)) => {
            let actions: Vec<Value> = file
                .actions
                .iter()
                .map(|a| match &a.action {
                    Some(pb::file_action::Action::Copy(c)) => json!({
                        "copy": { "src": c.src, "dest": c.dest },
                        "input": a.input, "secondary_input": a.secondary_input,
                    }),
                    Some(pb::file_action::Action::Mkdir(d)) => json!({
                        "mkdir": d.path, "input": a.input, "output": a.output,
                    }),
                    // Contents by size and digest: snapshots stay readable, edits still show.
                    Some(pb::file_action::Action::Mkfile(f)) => json!({
                        "mkfile": {
                            "path": f.path,
                            "bytes": f.data.len(),
                            "sha256": short(&hex::encode(Sha256::digest(&f.data))).to_string(),
                        },
                        "input": a.input, "output": a.output,
                    }),
                    other => json!({ "other": format!("{other:?}") }),
                })
                .collect();
            json!({ "type": "file", "actions": actions })
        }
        Some(pb::op::Op::Merge(merge)) => json!({
            "type": "merge",
            "inputs": merge.inputs.iter().map(|i| i.input).collect::<Vec<_>>(),
        }),
        Some(other) => json!({ "type": format!("{other:?}") }),
    };
    json!({ "inputs": inputs, "platform": platform, "body": body })
}

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(12)]
}
