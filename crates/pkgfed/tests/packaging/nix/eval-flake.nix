# Evaluates flake.nix's outputs with the stand-in as `nixpkgs` and this checkout as
# `self`, and returns what the test checks.
{ repo }:
let
  standIn = import ./stand-in.nix;
  flake = import (repo + "/flake.nix");
  self = { outPath = toString repo; } // outputs;
  outputs = flake.outputs { inherit self; inherit (standIn) nixpkgs; };
  package = outputs.packages.x86_64-linux.default;
  src = package.src;
  keeps = rel: src.filter (toString repo + "/" + rel) "regular";
  module = outputs.nixosModules.default { pkgs = standIn.pkgs; };
  test = outputs.checks.x86_64-linux.nixos;
in
{
  inputs = flake.inputs.nixpkgs.url;
  systems = builtins.attrNames outputs.packages;
  package = {
    inherit (package) pname version doCheck cargoBuildFlags postInstall;
    lockFile = baseNameOf (toString package.cargoLock.lockFile);
    nativeBuildInputs = map (p: p.name) package.nativeBuildInputs;
    mainProgram = package.meta.mainProgram;
    licenses = map (l: l.spdxId) package.meta.license;
  };
  source = {
    keeps = map keeps [ "Cargo.toml" "Cargo.lock" "crates/pkgfed/src/main.rs" "crates/pkgfed/migrations/sqlite/0001_federation_core.sql" ];
    drops = map keeps [ "target/debug/pkgfed" "interop/fedify/node_modules/x.js" "packaging/k8s/pvc.yaml" "flake.nix" "pkgfed.db" ];
  };
  module = {
    imports = map (p: baseNameOf (toString p)) module.imports;
    packageIsTheFlakes = module.services.pkgfed.package.content.pname == "pkgfed";
  };
  nixosTest = { inherit (test) name testScript; nodes = builtins.attrNames test.nodes; };
}
