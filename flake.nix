{
  description = "pkgfed: follow software packages from the fediverse";

  # An indirect reference, resolved through your flake registry (pin it with
  # `nix flake lock`, or override: --override-input nixpkgs <your nixpkgs>).
  inputs.nixpkgs.url = "nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # The Cargo workspace only: no build outputs, node modules or packaging files,
      # so editing docs or manifests does not rebuild the package.
      src = lib.cleanSourceWith {
        src = self;
        name = "pkgfed-source";
        filter = path: type:
          let rel = lib.removePrefix (toString self + "/") (toString path);
          in !(lib.hasPrefix "target" rel
            || lib.hasPrefix "interop" rel
            || lib.hasPrefix "packaging" rel
            || lib.hasPrefix "nix" rel
            || lib.hasInfix "node_modules" rel
            || lib.hasSuffix ".db" rel
            || rel == "flake.nix" || rel == "flake.lock" || rel == "Dockerfile");
      };
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { inherit src; };
      });

      nixosModules.default = { pkgs, ... }: {
        imports = [ ./nix/module.nix ];
        services.pkgfed.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };

      checks = forAllSystems (pkgs: {
        nixos = pkgs.testers.runNixOSTest (import ./nix/test.nix { inherit self; });
      });
    };
}
