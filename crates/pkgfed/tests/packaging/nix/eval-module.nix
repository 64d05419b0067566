# Evaluates nix/module.nix against the stand-in (stand-in.nix) with `user` as
# services.pkgfed, and returns what the test checks as JSON-able data.
{ repo, user }:
let
  standIn = import ./stand-in.nix;
  evaluated = standIn.evalModule (import (repo + "/nix/module.nix")) user;
  inherit (evaluated) cfg config;
  service = config.systemd.services.pkgfed;
  unIf = v: if builtins.isAttrs v && (v._type or null) == "if" then (if v.condition then v.content else null) else v;
in
{
  options = evaluated.options;
  settings = cfg.settings;
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
  serviceConfig = service.serviceConfig;
  unit = { inherit (service) description documentation wantedBy wants after requires; };
  restartTriggers = map toString service.restartTriggers;
  etcConfig = toString config.environment.etc."pkgfed/pkgfed.toml".source;
  firewallPorts = unIf config.networking.firewall.allowedTCPPorts;
  postgresql = unIf config.services.postgresql;
}
