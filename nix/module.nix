# NixOS module: services.pkgfed, one pkgfed process hardened like
# packaging/systemd/pkgfed.service: by default the whole server (HTTP, delivery,
# registry watching) on a SQLite file in /var/lib/pkgfed; in cluster mode a web or
# worker process (`role`) on PostgreSQL, created on this host or elsewhere, with an
# optional RabbitMQ broker (docs/deploy-cluster.md). Settings are pkgfed's
# configuration keys (docs/configuration.md), rendered to TOML; secrets (the broker
# URL, a remote database's URL, the admin token) go in environmentFile.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.pkgfed;
  inherit (lib) mkEnableOption mkOption mkIf mkDefault types literalExpression;
  settingsFormat = pkgs.formats.toml { };
  configFile = settingsFormat.generate "pkgfed.toml" cfg.settings;
  stateDir = "/var/lib/pkgfed";
  # server.listen is "address:port"; the port is what the firewall opens.
  listenPort = lib.toInt (lib.last (lib.splitString ":" cfg.settings.server.listen));
  # Peer authentication over the Unix socket: the service's user is the role.
  postgresUrl = "postgres:///pkgfed?host=/run/postgresql&user=pkgfed";
  localPostgres = cfg.database.type == "postgresql" && cfg.database.createLocally;
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
        File of PKGFED_* variables, read by systemd as root before the service starts,
        so it can stay root-only and outside the store: PKGFED_ADMIN_TOKEN=...,
        PKGFED_BROKER_URL=amqp://user:password@host:5672/%2f (cluster mode's RabbitMQ),
        PKGFED_STORAGE_DATABASE_URL=postgres://user:password@host/pkgfed (a database
        on another host).
      '';
    };

    database = {
      type = mkOption {
        type = types.enum [ "sqlite" "postgresql" ];
        default = "sqlite";
        description = ''
          sqlite: a file in /var/lib/pkgfed (one process only). postgresql: the database
          of cluster mode, shared by every web and worker process.
        '';
      };
      createLocally = mkOption {
        type = types.bool;
        default = true;
        description = ''
          With postgresql: run PostgreSQL on this host with a database and a role both
          named pkgfed, reached over the Unix socket with peer authentication (no
          password). Off: give the database's URL as settings.storage.database_url
          (without a password) or PKGFED_STORAGE_DATABASE_URL in environmentFile.
        '';
      };
    };

    role = mkOption {
      type = types.enum [ "all" "web" "worker" ];
      default = "all";
      description = ''
        What this process does (`pkgfed serve --role`). all: everything, the single
        process. web: the HTTP API, for behind the proxy. worker: delivery, registry
        watching and advisories; on settings.server.listen only /healthz, /readyz and
        /metrics. web and worker need database.type = "postgresql".
      '';
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
        assertion = cfg.role == "all" || cfg.database.type == "postgresql";
        message = ''
          services.pkgfed.role = "${cfg.role}" needs services.pkgfed.database.type =
          "postgresql": web and worker processes share one PostgreSQL database.
        '';
      }
      {
        assertion = cfg.database.type == "sqlite" || cfg.database.createLocally
          || (cfg.settings.storage.database_url or "") != "" || cfg.environmentFile != null;
        message = ''
          services.pkgfed.database.createLocally = false: set
          services.pkgfed.settings.storage.database_url, or PKGFED_STORAGE_DATABASE_URL
          in services.pkgfed.environmentFile, to the PostgreSQL database to use.
        '';
      }
      {
        assertion = lib.hasPrefix "https://" cfg.settings.server.base_url
          || (cfg.settings.server.allow_http or false);
        message = "services.pkgfed.settings.server.base_url must be an https URL.";
      }
    ];

    # A remote PostgreSQL has no default: its URL comes from the user.
    services.pkgfed.settings.storage = lib.optionalAttrs (cfg.database.type == "sqlite" || localPostgres) {
      database_url = mkDefault (
        if cfg.database.type == "sqlite" then "sqlite://${stateDir}/pkgfed.db" else postgresUrl
      );
    };

    services.postgresql = mkIf localPostgres {
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
      after = [ "network-online.target" ] ++ lib.optional localPostgres "postgresql.service";
      requires = lib.optional localPostgres "postgresql.service";
      restartTriggers = [ configFile ];
      serviceConfig = (import ./hardening.nix) // {
        Type = "exec";
        ExecStart = "${lib.getExe cfg.package} --config ${configFile} serve"
          + lib.optionalString (cfg.role != "all") " --role ${cfg.role}";
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
