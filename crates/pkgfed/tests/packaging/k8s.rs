//! `packaging/k8s/`: every manifest validates (strictly, unknown fields rejected)
//! against the Kubernetes JSON schemas bundled in the `kubernetes-validate` package —
//! offline — and the pieces agree with pkgfed: the ConfigMap is a configuration pkgfed
//! accepts, probes hit the health endpoints, the pod outlives the drain, memory
//! requests cover the measured RSS.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::tools::{assert_config_accepted, both, repo_root, require, run};

pub(super) const VALIDATOR: &str = "pip install kubernetes-validate";

pub(super) fn k8s_dir() -> PathBuf {
    repo_root().join("packaging/k8s")
}

/// The resources the kustomization in `dir` applies, in its order.
pub(super) fn resources_in(dir: &Path) -> Vec<PathBuf> {
    let k = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let list: Vec<PathBuf> = k
        .lines()
        .skip_while(|l| !l.starts_with("resources:"))
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- ").map(|f| dir.join(f)))
        .collect();
    assert!(!list.is_empty());
    list
}

fn resources() -> Vec<PathBuf> {
    resources_in(&k8s_dir())
}

/// The YAML documents of `file` as JSON, through PyYAML (a dependency of the
/// validator).
pub(super) fn load(file: &PathBuf) -> Vec<Value> {
    let out = run(Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(file));
    assert!(out.status.success(), "{}", both(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn of_kind(kind: &str) -> Value {
    resources()
        .iter()
        .flat_map(load)
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

/// Every manifest in `dir` is in its kustomization, and every document of them
/// validates strictly.
pub(super) fn validate_kustomization(validate: &Path, dir: &Path) {
    let files = resources_in(dir);
    let in_dir: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .collect();
    assert_eq!(
        files.len(),
        in_dir.len(),
        "every manifest is in {}/kustomization.yaml",
        dir.display()
    );
    let documents: usize = files.iter().map(|f| load(f).len()).sum();
    let out = run(Command::new(validate).arg("--strict").args(&files));
    assert!(out.status.success(), "{}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches(" passed for resource ").count(),
        documents,
        "{text}"
    );
}

#[test]
fn manifests_validate_strictly_against_the_bundled_schemas() {
    let Some(validate) = require("kubernetes-validate", VALIDATOR) else {
        return;
    };
    validate_kustomization(&validate, &k8s_dir());

    // The validator really rejects a wrong manifest (it works offline, not vacuously).
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let deployment = std::fs::read_to_string(k8s_dir().join("deployment.yaml")).unwrap();
    std::fs::write(&bad, deployment.replace("replicas: 1", "replicas: one")).unwrap();
    let out = run(Command::new(&validate).arg("--strict").arg(&bad));
    assert!(!out.status.success(), "{}", both(&out));
}

#[test]
fn configmap_is_a_configuration_pkgfed_accepts() {
    if require("python3", VALIDATOR).is_none() {
        return;
    }
    let config = of_kind("ConfigMap");
    assert_config_accepted(config["data"]["pkgfed.toml"].as_str().unwrap());
}

#[test]
fn deployment_matches_pkgfed_probes_drain_port_and_memory() {
    if require("python3", VALIDATOR).is_none() {
        return;
    }
    let deployment = of_kind("Deployment");
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"], 1, "SQLite: one writer");
    assert_eq!(spec["strategy"]["type"], "Recreate");
    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["startupProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["ports"][0]["containerPort"], 8080);

    let config = of_kind("ConfigMap");
    let toml: toml::Table =
        toml::from_str(config["data"]["pkgfed.toml"].as_str().unwrap()).unwrap();
    assert_eq!(toml["server"]["listen"].as_str(), Some("0.0.0.0:8080"));
    let grace = toml["server"]["shutdown_grace_seconds"]
        .as_integer()
        .unwrap();
    assert!(pod["terminationGracePeriodSeconds"].as_i64().unwrap() > grace);

    // docs/benchmarks.md: 49.8 MiB with 10,000 packages and 100,000 followers, 78 MiB
    // peak during fan-out.
    let mib = |q: &Value| {
        q.as_str()
            .unwrap()
            .trim_end_matches("Mi")
            .parse::<u32>()
            .unwrap()
    };
    assert!(mib(&container["resources"]["requests"]["memory"]) >= 50);
    assert!(mib(&container["resources"]["limits"]["memory"]) >= 78 * 2);

    let security = &container["securityContext"];
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    // The image's user (Dockerfile USER 10001).
    assert_eq!(pod["securityContext"]["runAsUser"], 10001);

    let pdb = of_kind("PodDisruptionBudget");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        spec["selector"]["matchLabels"]
    );
    let service = of_kind("Service");
    assert_eq!(service["spec"]["selector"], spec["selector"]["matchLabels"]);
}
