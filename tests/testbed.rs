//! scripts/testbed refuses bad situations with one clear line and a non-zero exit, before it
//! changes anything.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn testbed() -> Command {
    Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testbed"))
}

#[test]
fn too_little_disk_is_refused_before_installing_anything() {
    let out = testbed()
        .arg("engine")
        .env("STRATA_TESTBED_MIN_FREE_GB", "100000000")
        .output()
        .expect("the script runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("testbed: error: only") && stderr.contains("GB free"),
        "{stderr}"
    );
}

#[test]
fn a_non_root_user_is_told_to_be_root() {
    // uid 65534 may not be able to enter the checkout (a clone under /root): it runs a copy of
    // the script from a directory anyone can read.
    let dir = std::env::temp_dir().join(format!("strata-testbed-nonroot-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    let script = dir.join("scripts/testbed");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testbed"),
        &script,
    )
    .unwrap();
    for readable in [dir.as_path(), &dir.join("scripts")] {
        std::fs::set_permissions(readable, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&script)
        .arg("status")
        .env("HOME", "/nonexistent")
        .output()
        .expect("setpriv runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(stderr.contains("must run as root"), "{stderr}");
}

#[test]
fn an_unknown_subcommand_prints_the_usage() {
    let out = testbed().arg("upp").output().expect("the script runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scripts/testbed up"));
}
