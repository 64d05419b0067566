//! Packaging and deployment checks: the systemd unit (verified, scored and booted
//! under a private systemd), the Nix flake and NixOS module (parsed and evaluated),
//! the Dockerfile (linted), the Kubernetes manifests of both modes (schema-validated), and the
//! generated completions and man pages they install.
//!
//! Each check runs the real external tool. Outside CI a missing tool skips its test
//! with a printed reason; in CI (`CI=true`) it fails, naming the package `.ci/run`
//! installs it from.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod packaging {
    pub mod tools;

    mod cli_docs;
    mod container;
    mod healthcheck;
    mod k8s;
    mod k8s_cluster;
    mod nix;
    mod nix_cluster;
    mod proxy;
    mod systemd;
}
