//! `strata cache ls | prune`: strata's cache mounts on the engine, read and removed through
//! the docker CLI users already have (`docker buildx du --format json`, or `--verbose` where
//! buildx has no `--format` there; `docker buildx prune`).
//!
//! BuildKit describes each cache-mount record by the exec that made it, ending in
//! `with id "<id>"`; strata's ids are `strata/<namespace>/<kind>`, which is how its records
//! are told apart from everything else in the build cache. Pruning names records by their
//! record ID, one at a time, so nothing else is ever removed.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

/// One cache-mount record of the engine's build cache that belongs to strata.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    /// The engine's record ID, what `docker buildx prune --filter id=` takes.
    record: String,
    namespace: String,
    /// The cache's name within the namespace (`go-mod`, `uv`, `cargo-registry`, …).
    kind: String,
    bytes: u64,
    /// How long ago a build last used it, when the engine says.
    unused_for: Option<Duration>,
    last_used: String,
}

struct Options {
    namespace: Option<String>,
    older_than: Option<Duration>,
}

/// `strata cache ls|prune [--namespace NS] [--older-than D]`.
pub fn run(action: &str, namespace: Option<&str>, older_than: Option<&str>) -> Result<(), String> {
    let older_than = match older_than {
        Some(text) => Some(parse_duration(text).ok_or_else(|| {
            format!("strata cache: `{text}` is not a duration: write 30m, 12h or 7d")
        })?),
        None => None,
    };
    let options = Options {
        namespace: namespace.map(str::to_string),
        older_than,
    };
    match action {
        "ls" => {
            print!("{}", table(&strata_records(&options)?));
            Ok(())
        }
        "prune" => prune(&options),
        other => Err(format!("strata cache: `{other}` is not ls or prune")),
    }
}

/// strata's records (of one namespace when asked), from `docker buildx du --format json`, or
/// from `--verbose` on a buildx that has no `--format` there (before 0.28; the floor's 0.13).
fn strata_records(options: &Options) -> Result<Vec<Record>, String> {
    let records = match docker(&["buildx", "du", "--format", "json"]) {
        Ok(out) => parse_disk_usage_json(&out),
        Err(_) => parse_disk_usage(&docker(&["buildx", "du", "--verbose"])?),
    };
    Ok(records
        .into_iter()
        .filter(|r| {
            options
                .namespace
                .as_ref()
                .is_none_or(|ns| *ns == r.namespace)
        })
        .collect())
}

/// The bytes of strata's cache mounts on the engine, per namespace.
pub(crate) fn sizes_by_namespace() -> Result<BTreeMap<String, u64>, String> {
    let all = Options {
        namespace: None,
        older_than: None,
    };
    let mut sizes = BTreeMap::new();
    for record in strata_records(&all)? {
        *sizes.entry(record.namespace).or_insert(0) += record.bytes;
    }
    Ok(sizes)
}

/// Runs the docker CLI, the way strata talks to the engine outside a build.
pub(crate) fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker").args(args).output().map_err(|e| {
        format!(
            "strata: cannot run docker ({e}): strata talks to the engine through the docker CLI"
        )
    })?;
    if !out.status.success() {
        return Err(format!(
            "strata: `docker {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The records of `docker buildx du --verbose` (blank-line separated `Key:\tvalue` blocks)
/// that are strata cache mounts.
fn parse_disk_usage(text: &str) -> Vec<Record> {
    text.split("\n\n")
        .filter_map(|block| {
            strata_record(|key| {
                let key = if key == "LastUsedAt" {
                    "Last used"
                } else {
                    key
                };
                block.lines().find_map(|line| {
                    let (k, v) = line.split_once(':')?;
                    (k.trim() == key).then(|| v.trim().to_string())
                })
            })
        })
        .collect()
}

/// The records of `docker buildx du --format json` (a JSON object a line, with the same
/// human-readable sizes and ages as `--verbose`) that are strata cache mounts.
fn parse_disk_usage_json(text: &str) -> Vec<Record> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|record| strata_record(|key| record.get(key)?.as_str().map(str::to_string)))
        .collect()
}

/// A record from its fields (by their JSON names), when it is one of strata's cache mounts:
/// BuildKit describes a cache mount by the exec that made it, ending `with id "<id>"`.
fn strata_record(field: impl Fn(&str) -> Option<String>) -> Option<Record> {
    if field("Type")?.as_str() != "exec.cachemount" {
        return None;
    }
    let description = field("Description")?;
    let id = description.rsplit_once("with id \"")?.1.strip_suffix('"')?;
    let mut parts = id.splitn(3, '/');
    let (Some("strata"), Some(namespace), Some(kind)) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let last_used = field("LastUsedAt").unwrap_or_default();
    Some(Record {
        record: field("ID")?,
        namespace: namespace.to_string(),
        // A build's own settings record (`build-settings/<values>/<build>`) counts under its
        // values: one row, one record per build.
        kind: kind.split('/').next().unwrap_or(kind).to_string(),
        bytes: field("Size").and_then(|s| parse_size(&s)).unwrap_or(0),
        unused_for: parse_age(&last_used),
        last_used,
    })
}

/// `94.25MB`, `1.2GB`, `512B`, `3.5kB` (the decimal units buildx prints) as bytes.
fn parse_size(text: &str) -> Option<u64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let factor = match unit {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    Some((number.trim().parse::<f64>().ok()? * factor) as u64)
}

/// buildx's `13 minutes ago`, `About an hour ago`, `Less than a second ago` as a duration.
fn parse_age(text: &str) -> Option<Duration> {
    let text = text.strip_suffix(" ago")?;
    let (count, unit) = match text.split_once(' ')? {
        ("Less", _) => return Some(Duration::ZERO),
        ("About", rest) => (1.0, rest.split_once(' ')?.1),
        (n, unit) => (n.parse::<f64>().ok()?, unit),
    };
    let seconds = match unit.trim_end_matches('s') {
        "second" => 1.0,
        "minute" => 60.0,
        "hour" => 3600.0,
        "day" => 86_400.0,
        "week" => 604_800.0,
        "month" => 2_592_000.0,
        "year" => 31_536_000.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(count * seconds))
}

/// `30m`, `12h`, `7d`, `90s`.
fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let count: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count * seconds))
}

pub(crate) fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// One row per cache (records of one id summed), namespaces and kinds in order.
fn table(records: &[Record]) -> String {
    if records.is_empty() {
        return "no strata cache mounts on this engine\n".to_string();
    }
    let mut caches: BTreeMap<(&str, &str), (usize, u64, &Record)> = BTreeMap::new();
    for r in records {
        let entry = caches
            .entry((r.namespace.as_str(), r.kind.as_str()))
            .or_insert((0, 0, r));
        entry.0 += 1;
        entry.1 += r.bytes;
        if r.unused_for < entry.2.unused_for {
            entry.2 = r;
        }
    }
    let width = |column: &dyn Fn(&Record) -> usize, title: &str| {
        records
            .iter()
            .map(column)
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let ns = width(&|r| r.namespace.len(), "NAMESPACE");
    let kind_width = width(&|r| r.kind.len(), "CACHE");
    let mut out = format!(
        "{:<ns$}  {:<kind_width$}  {:>7}  {:>10}  LAST USED\n",
        "NAMESPACE", "CACHE", "RECORDS", "SIZE"
    );
    for ((namespace, kind), (count, bytes, latest)) in &caches {
        out.push_str(&format!(
            "{namespace:<ns$}  {kind:<kind_width$}  {count:>7}  {:>10}  {}\n",
            human_bytes(*bytes),
            latest.last_used
        ));
    }
    let total: u64 = records.iter().map(|r| r.bytes).sum();
    out.push_str(&format!("total {}\n", human_bytes(total)));
    out
}

/// Removes the chosen records, then lists again and removes what the listing shows that was
/// not there before: one listing of the engine can miss a record (seen in CI: a namespace's
/// `go-mod` cache outlived its prune), and a prune that leaves a cache behind is a surprise.
fn prune(options: &Options) -> Result<(), String> {
    const PASSES: usize = 3;
    let mut removed = BTreeSet::new();
    let mut freed = 0;
    for _ in 0..PASSES {
        let chosen: Vec<Record> = strata_records(options)?
            .into_iter()
            .filter(|r| match options.older_than {
                // A record the engine gives no last use for is left alone: age unknown.
                Some(limit) => r.unused_for.is_some_and(|age| age > limit),
                None => true,
            })
            .filter(|r| !removed.contains(&r.record))
            .collect();
        if chosen.is_empty() {
            break;
        }
        for r in chosen {
            let filter = format!("id={}", r.record);
            // `--all`: without it the engine keeps a record that shares its parent's snapshot,
            // as a cache mount that starts from a layer (Go's build cache) does; the filter
            // still names this one record.
            docker(&["buildx", "prune", "--force", "--all", "--filter", &filter])?;
            println!(
                "removed strata/{}/{} ({})",
                r.namespace,
                r.kind,
                human_bytes(r.bytes)
            );
            freed += r.bytes;
            removed.insert(r.record);
        }
    }
    if removed.is_empty() {
        println!("nothing to prune");
    } else {
        println!("freed {}", human_bytes(freed));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DU: &str = "ID:\t\tw0a75y54a0lu4ux9z2tyala5s
Created at:\t2026-11-24 03:17:08.418679523 +0000 UTC
Mutable:\ttrue
Reclaimable:\ttrue
Shared:\t\tfalse
Size:\t\t94.25MB
Description:\tcached mount /root/.cache/go-build from exec go build -o /out/app . with id \"strata/default/go-build\"
Usage count:\t2
Last used:\t13 minutes ago
Type:\t\texec.cachemount

ID:\t\txd8o97dtyzlmwrvf16dgddast
Size:\t\t240.6MB
Description:\tcached mount /root/.cache/go-build from exec /bin/sh -c go build with id \"//root/.cache/go-build\"
Last used:\t54 minutes ago
Type:\t\texec.cachemount

ID:\t\tabc
Size:\t\t1.5kB
Description:\tcached mount /root/.cache/uv from exec uv sync with id \"strata/team-a/uv\"
Last used:\tAbout an hour ago
Type:\t\texec.cachemount

ID:\t\tdef
Size:\t\t2GB
Description:\tmount / from exec /bin/sh -c make
Last used:\t2 days ago
Type:\t\tregular
";

    #[test]
    fn only_strata_cache_mounts_are_read_from_disk_usage() {
        let records = parse_disk_usage(DU);
        assert_eq!(records.len(), 2, "{records:?}");
        assert_eq!(records[0].record, "w0a75y54a0lu4ux9z2tyala5s");
        assert_eq!(
            (records[0].namespace.as_str(), records[0].kind.as_str()),
            ("default", "go-build")
        );
        assert_eq!(records[0].bytes, 94_250_000);
        assert_eq!(records[0].unused_for, Some(Duration::from_secs(13 * 60)));
        assert_eq!(records[1].namespace, "team-a");
        assert_eq!(records[1].bytes, 1_500);
        assert_eq!(records[1].unused_for, Some(Duration::from_secs(3600)));
    }

    /// `--format json` (buildx 0.28 on) gives the same records as `--verbose`.
    #[test]
    fn json_disk_usage_reads_as_the_verbose_form() {
        let json = r#"{"CreatedAt":"2026-11-24 03:17:08 +0000 UTC","Description":"cached mount /root/.cache/go-build from exec /bin/sh -c go build with id \"strata/default/go-build\"","ID":"w0a75y54a0lu4ux9z2tyala5s","LastUsedAt":"13 minutes ago","Mutable":true,"Reclaimable":true,"Shared":false,"Size":"94.25MB","Type":"exec.cachemount","UsageCount":2}
{"Description":"mount / from exec /bin/sh -c true","ID":"x1","LastUsedAt":"","Size":"1MB","Type":"regular"}
{"Description":"cached mount /x from exec /bin/sh -c x with id \"someone-else\"","ID":"x2","Size":"1MB","Type":"exec.cachemount"}
{"Description":"cached mount /root/.npm from exec /bin/sh -c npm ci with id \"strata/team-a/npm\"","ID":"r2","LastUsedAt":"About an hour ago","Size":"1.5kB","Type":"exec.cachemount"}
"#;
        let from_json = parse_disk_usage_json(json);
        let from_verbose = parse_disk_usage(DU);
        assert_eq!(from_json.len(), 2, "{from_json:?}");
        assert_eq!(from_json[0], from_verbose[0]);
        assert_eq!(
            (
                from_json[1].namespace.as_str(),
                from_json[1].bytes,
                from_json[1].unused_for
            ),
            ("team-a", 1_500, Some(Duration::from_secs(3600)))
        );
    }

    #[test]
    fn ages_durations_and_sizes_read_as_buildx_and_users_write_them() {
        assert_eq!(parse_age("Less than a second ago"), Some(Duration::ZERO));
        assert_eq!(parse_age("1 second ago"), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_age("3 weeks ago"),
            Some(Duration::from_secs(3 * 604_800))
        );
        assert_eq!(
            parse_age("About a minute ago"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_age("soon"), None);
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_size("512B"), Some(512));
        assert_eq!(parse_size("1.2GB"), Some(1_200_000_000));
        assert_eq!(parse_size("12parsecs"), None);
    }

    #[test]
    fn the_table_sums_the_records_of_one_cache() {
        let mut records = parse_disk_usage(DU);
        let mut older = records[0].clone();
        older.record = "older".to_string();
        older.unused_for = Some(Duration::from_secs(7200));
        older.last_used = "2 hours ago".to_string();
        records.push(older);
        let text = table(&records);
        let row = text.lines().find(|l| l.contains("go-build")).unwrap();
        assert!(row.contains(" 2 ") && row.contains("188.5 MB"), "{text}");
        assert!(row.ends_with("13 minutes ago"), "{text}");
        assert!(text.lines().any(|l| l.starts_with("team-a")), "{text}");
        assert_eq!(table(&[]), "no strata cache mounts on this engine\n");
    }
}
