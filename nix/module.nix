# NixOS module: services.pkgfed, one pkgfed process (HTTP, delivery, registry
# watching) on a SQLite file in /var/lib/pkgfed, hardened like
# packaging/systemd/pkgfed.service. Settings are pkgfed's configuration keys
# (docs/configuration.md), rendered to TOML; secrets go in environmentFile.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.pkgfed;
  inherit (lib) mkEnableOption mkOption mkIf mkDefault types literalExpression;
  settingsFormat = pkgs.formats.toml { };
  configFile = settingsFormat.generate "pkgfed.toml" cfg.settings;
  stateDir = "/var/lib/pkgfed";
  # server.listen is "address:port"; the port is what the firewall opens.
  listenPort = lib.toInt (lib.last (lib.splitString ":" cfg.settings.server.listen));
  postgresUrl = "postgres:///pkgfed?host=/run/postgresql";
in
{
  options.services.pkgfed = {
    enable = mkEnableOption "pkgfed, software packages to follow from the fediverse";

    package = mkOption {
      type = types.package;
      description = "The pkgfed package (the flake's module sets its own build).";
    };

    settings = mkOption {
      description = ''
        pkgfed's configuration (docs/configuration.md), rendered to TOML. Every key
        pkgfed knows may be set; the ones below are typed here. Never put secrets
        here: the file lands in the world-readable Nix store. Use environmentFile.
      '';
      default = { };
      example = literalExpression ''
        {
          server.base_url = "https://pkgs.example.org";
          packages.ecosystems = [ "cargo" ];
          cargo.index_url = "https://index.cargo-registry.example/";
        }
      '';
      type = types.submodule {
        freeformType = settingsFormat.type;
        options = {
          server = mkOption {
            default = { };
            description = "The `[server]` section.";
            type = types.submodule {
              freeformType = settingsFormat.type;
              options = {
                base_url = mkOption {
                  type = types.str;
                  example = "https://pkgs.example.org";
                  description = ''
                    Public https URL (scheme, host, optional port). Its host is the
                    domain of every handle; changing it changes every actor's identity.
                  '';
                };
                listen = mkOption {
                  type = types.str;
                  default = "127.0.0.1:8080";
                  description = "address:port to listen on, behind the TLS reverse proxy.";
                };
                shutdown_grace_seconds = mkOption {
                  type = types.ints.positive;
                  default = 10;
                  description = "How long SIGTERM lets in-flight requests finish.";
                };
              };
            };
          };
          packages = mkOption {
            default = { };
            description = "The `[packages]` section.";
            type = types.submodule {
              freeformType = settingsFormat.type;
              options.ecosystems = mkOption {
                type = types.nonEmptyListOf (types.enum [ "cargo" "npm" "pypi" "generic" ]);
                default = [ "cargo" "npm" "pypi" ];
                description = "Ecosystems served; each needs its registry endpoint set.";
              };
            };
          };
        };
      };
    };

    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/pkgfed.env";
      description = ''
        File of PKGFED_* variables (e.g. PKGFED_ADMIN_TOKEN=...), read by systemd as root
        before the service starts, so it can stay root-only and outside the store.
      '';
    };

    database = {
      type = mkOption {
        type = types.enum [ "sqlite" "postgresql" ];
        default = "sqlite";
        description = ''
          sqlite: a file in /var/lib/pkgfed. postgresql: for pkgfed's upcoming cluster
          mode; this build of pkgfed accepts only sqlite:// and the module refuses it.
        '';
      };
      createLocally = mkOption {
        type = types.bool;
        default = true;
        description = "With postgresql: create the database and its role on this host.";
      };
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Open the listen port in the firewall. Only useful when pkgfed listens on a
        non-loopback address (the TLS proxy runs elsewhere).
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.database.type == "sqlite";
        message = ''
          services.pkgfed.database.type = "postgresql" needs pkgfed's cluster mode, which
          this build does not have (storage.database_url accepts only sqlite://).
        '';
      }
      {
        assertion = lib.hasPrefix "https://" cfg.settings.server.base_url
          || (cfg.settings.server.allow_http or false);
        message = "services.pkgfed.settings.server.base_url must be an https URL.";
      }
    ];

    services.pkgfed.settings.storage.database_url = mkDefault (
      if cfg.database.type == "sqlite" then "sqlite://${stateDir}/pkgfed.db" else postgresUrl
    );

    services.postgresql = mkIf (cfg.database.type == "postgresql" && cfg.database.createLocally) {
      enable = true;
      ensureDatabases = [ "pkgfed" ];
      ensureUsers = [ { name = "pkgfed"; ensureDBOwnership = true; } ];
    };

    # The CLI, man pages and completions for operators; the configuration where
    # `pkgfed --config /etc/pkgfed/pkgfed.toml ...` finds it.
    environment.systemPackages = [ cfg.package ];
    environment.etc."pkgfed/pkgfed.toml".source = configFile;

    networking.firewall.allowedTCPPorts = mkIf cfg.openFirewall [ listenPort ];

    systemd.services.pkgfed = {
      description = "pkgfed, software packages to follow from the fediverse";
      documentation = [ "man:pkgfed(1)" ];
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ]
        ++ lib.optional (cfg.database.type == "postgresql" && cfg.database.createLocally) "postgresql.service";
      restartTriggers = [ configFile ];
      serviceConfig = (import ./hardening.nix) // {
        Type = "exec";
        ExecStart = "${lib.getExe cfg.package} --config ${configFile} serve";
        EnvironmentFile = lib.optional (cfg.environmentFile != null) cfg.environmentFile;
        Restart = "on-failure";
        RestartSec = "5s";
        # SIGTERM drains for shutdown_grace_seconds; stop must wait longer. No reload:
        # pkgfed does not re-read its configuration (restartTriggers restart it).
        KillSignal = "SIGTERM";
        KillMode = "mixed";
        TimeoutStopSec = "${toString (cfg.settings.server.shutdown_grace_seconds + 20)}s";
        DynamicUser = true;
        User = "pkgfed";
        StateDirectory = "pkgfed";
        StateDirectoryMode = "0700";
        WorkingDirectory = stateDir;
      };
    };
  };
}
