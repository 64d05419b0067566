# nixosTest: boots a VM with services.pkgfed, adds a package actor as the service's
# own dynamic user, and fetches its WebFinger document; then stops the service and
# checks it drained and exited cleanly. Run with `nix build .#checks.x86_64-linux.nixos`
# (needs nixpkgs and KVM; not run in this project's CI, which has neither).
{ self }:
{
  name = "pkgfed";
  nodes.machine = { pkgs, ... }: {
    imports = [ self.nixosModules.default ];
    environment.systemPackages = [ pkgs.curl ];
    services.pkgfed = {
      enable = true;
      settings = {
        server.base_url = "https://pkgs.example.test";
        packages.ecosystems = [ "cargo" ];
        # No registry is reachable in the VM; the actor is added by hand below.
        watch.enabled = false;
      };
      environmentFile = "/etc/pkgfed-test.env";
    };
    environment.etc."pkgfed-test.env".text = "PKGFED_ADMIN_TOKEN=nixos-test-admin-token-0123456789abcdef";
  };
  testScript = ''
    machine.wait_for_unit("pkgfed.service")
    machine.wait_until_succeeds("curl -fsS http://127.0.0.1:8080/readyz")
    machine.succeed(
      "systemd-run --wait --pipe --collect -p DynamicUser=yes -p User=pkgfed "
      "-p StateDirectory=pkgfed -p WorkingDirectory=/var/lib/pkgfed "
      "-E PKGFED_STORAGE_DATABASE_URL=sqlite:///var/lib/pkgfed/pkgfed.db "
      "pkgfed --config /etc/pkgfed/pkgfed.toml packages add pkg:cargo/serde"
    )
    jrd = machine.succeed(
      "curl -fsS 'http://127.0.0.1:8080/.well-known/webfinger?resource=acct:serde@pkgs.example.test'"
    )
    assert '"subject":"acct:serde@pkgs.example.test"' in jrd, jrd
    machine.succeed(
      "curl -fsS -H 'Authorization: Bearer nixos-test-admin-token-0123456789abcdef' "
      "http://127.0.0.1:8080/api/v1/admin/hosts"
    )
    machine.succeed("systemctl stop pkgfed.service")
    machine.succeed("systemctl show -P ExecMainStatus pkgfed.service | grep -x 0")
    machine.succeed("journalctl -u pkgfed | grep 'shutting down: no new connections'")
  '';
}
