//! `packaging/k8s/cluster/`: cluster mode's manifests validate strictly and offline
//! like the single-process ones, and agree with pkgfed and with each other: the
//! ConfigMap plus the Secret's variables is a configuration pkgfed accepts on
//! PostgreSQL and RabbitMQ, each Deployment runs its role with probes on the health
//! endpoints, only the web pods are behind the Service and Ingress, and each role has
//! a disruption budget that keeps one pod.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::k8s::{VALIDATOR, k8s_dir, load, resources_in, validate_kustomization};
use super::tools::{both, pkgfed, require, run};

fn cluster_dir() -> PathBuf {
    k8s_dir().join("cluster")
}

fn documents() -> Vec<Value> {
    resources_in(&cluster_dir()).iter().flat_map(load).collect()
}

fn named(kind: &str, name: &str) -> Value {
    documents()
        .into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn all_of(kind: &str) -> Vec<Value> {
    documents()
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .collect()
}

/// `pkgfed config check` of the ConfigMap's file with `env` (and nothing else).
fn config_check(env: &[(String, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pkgfed.toml");
    let config = named("ConfigMap", "pkgfed-config");
    std::fs::write(&file, config["data"]["pkgfed.toml"].as_str().unwrap()).unwrap();
    run(Command::new(pkgfed())
        .arg("--config")
        .arg(&file)
        .args(["config", "check"])
        .env_clear()
        .envs(env.iter().cloned()))
}

#[test]
fn cluster_manifests_validate_strictly_against_the_bundled_schemas() {
    let Some(validate) = require("kubernetes-validate", VALIDATOR) else {
        return;
    };
    validate_kustomization(&validate, &cluster_dir());

    // A wrong field in the worker Deployment is caught.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let worker = std::fs::read_to_string(cluster_dir().join("worker-deployment.yaml")).unwrap();
    std::fs::write(&bad, worker.replace("replicas: 2", "replicas: two")).unwrap();
    let out = run(Command::new(&validate).arg("--strict").arg(&bad));
    assert!(!out.status.success(), "{}", both(&out));
}

#[test]
fn configmap_and_secret_make_a_postgresql_and_rabbitmq_configuration() {
    if require("python3", VALIDATOR).is_none() {
        return;
    }
    let config = named("ConfigMap", "pkgfed-config");
    let toml: toml::Table =
        toml::from_str(config["data"]["pkgfed.toml"].as_str().unwrap()).unwrap();
    assert!(
        toml.get("storage").is_none() && toml.get("broker").is_none(),
        "the URLs (with their passwords) belong in the Secret"
    );
    let secret = named("Secret", "pkgfed-secrets");
    let data = secret["stringData"].as_object().unwrap();
    let mut env: Vec<(String, String)> = data
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let url = &data["PKGFED_STORAGE_DATABASE_URL"];
    assert!(url.as_str().unwrap().starts_with("postgres://"), "{url}");
    assert!(
        data["PKGFED_BROKER_URL"]
            .as_str()
            .unwrap()
            .starts_with("amqp://")
    );

    // As shipped, the placeholder admin token is refused, naming the key.
    let out = config_check(&env);
    assert!(!out.status.success(), "{}", both(&out));
    assert!(both(&out).contains("admin.token"), "{}", both(&out));

    // With a real token, every variable of the Secret is a key pkgfed knows (an
    // unknown PKGFED_* variable is refused) and the passwords are not shown.
    for (k, v) in &mut env {
        if k == "PKGFED_ADMIN_TOKEN" {
            *v = "a-real-admin-token-of-at-least-32-characters".into();
        }
    }
    let out = config_check(&env);
    assert!(out.status.success(), "{}", both(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("postgres.example"), "{shown}");
    assert!(shown.contains("rabbitmq.example"), "{shown}");
    assert!(!shown.contains("replace-me"), "{shown}");
}

#[test]
fn web_and_worker_deployments_run_their_roles_with_probes_and_the_secret() {
    if require("python3", VALIDATOR).is_none() {
        return;
    }
    let config = named("ConfigMap", "pkgfed-config");
    let toml: toml::Table =
        toml::from_str(config["data"]["pkgfed.toml"].as_str().unwrap()).unwrap();
    assert_eq!(toml["server"]["listen"].as_str(), Some("0.0.0.0:8080"));
    let grace = toml["server"]["shutdown_grace_seconds"]
        .as_integer()
        .unwrap();

    for role in ["web", "worker"] {
        let deployment = named("Deployment", &format!("pkgfed-{role}"));
        let spec = &deployment["spec"];
        assert_eq!(spec["replicas"], 2, "{role}");
        assert_eq!(
            spec["selector"]["matchLabels"]["app.kubernetes.io/component"],
            role
        );
        assert_eq!(spec["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
        let pod = &spec["template"]["spec"];
        let container = &pod["containers"][0];
        assert_eq!(
            container["args"],
            serde_json::json!([
                "--config",
                "/etc/pkgfed/pkgfed.toml",
                "serve",
                "--role",
                role
            ])
        );
        // The worker serves the same endpoints on the same listen address (probes).
        assert_eq!(container["ports"][0]["containerPort"], 8080);
        assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
        assert_eq!(container["startupProbe"]["httpGet"]["path"], "/healthz");
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert!(pod["terminationGracePeriodSeconds"].as_i64().unwrap() > grace);

        // The database and broker URLs are required: the Secret is not optional.
        let from = &container["envFrom"][0]["secretRef"];
        assert_eq!(from["name"], "pkgfed-secrets");
        assert!(from.get("optional").is_none() || from["optional"] == false);
        let volumes = pod["volumes"].as_array().unwrap();
        assert!(
            volumes
                .iter()
                .any(|v| v["configMap"]["name"] == "pkgfed-config"),
            "{volumes:?}"
        );
        assert!(
            volumes
                .iter()
                .all(|v| v.get("persistentVolumeClaim").is_none()),
            "all state is in PostgreSQL"
        );

        // docs/benchmarks.md: 49.8 MiB with 10,000 packages and 100,000 followers,
        // 78 MiB peak during a 10,000-follower fan-out.
        let mib = |q: &Value| {
            q.as_str()
                .unwrap()
                .trim_end_matches("Mi")
                .parse::<u32>()
                .unwrap()
        };
        assert!(mib(&container["resources"]["requests"]["memory"]) >= 78);
        assert!(mib(&container["resources"]["limits"]["memory"]) >= 78 * 2);

        let security = &container["securityContext"];
        assert_eq!(security["allowPrivilegeEscalation"], false);
        assert_eq!(security["readOnlyRootFilesystem"], true);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["securityContext"]["runAsUser"], 10001);
    }
}

#[test]
fn only_web_pods_are_served_and_each_role_keeps_a_pod_through_disruptions() {
    if require("python3", VALIDATOR).is_none() {
        return;
    }
    let web = named("Deployment", "pkgfed-web");
    let worker = named("Deployment", "pkgfed-worker");
    let web_labels = &web["spec"]["template"]["metadata"]["labels"];
    let worker_labels = &worker["spec"]["template"]["metadata"]["labels"];
    let selects = |selector: &Value, labels: &Value| {
        selector
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| labels[k] == *v)
    };

    let services = all_of("Service");
    assert_eq!(services.len(), 1);
    let service = &services[0];
    assert!(selects(&service["spec"]["selector"], web_labels));
    assert!(!selects(&service["spec"]["selector"], worker_labels));
    let ingress = named("Ingress", "pkgfed-web");
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"], service["metadata"]["name"]);
    assert_eq!(backend["port"]["name"], service["spec"]["ports"][0]["name"]);

    let budgets = all_of("PodDisruptionBudget");
    assert_eq!(budgets.len(), 2);
    for deployment in [&web, &worker] {
        let labels = &deployment["spec"]["template"]["metadata"]["labels"];
        let mine: Vec<_> = budgets
            .iter()
            .filter(|b| selects(&b["spec"]["selector"]["matchLabels"], labels))
            .collect();
        assert_eq!(mine.len(), 1, "{}", deployment["metadata"]["name"]);
        let keep = mine[0]["spec"]["minAvailable"].as_i64().unwrap();
        let replicas = deployment["spec"]["replicas"].as_i64().unwrap();
        assert!(
            keep >= 1 && keep < replicas,
            "a drain can proceed and keeps one"
        );
    }
}
