# The systemd sandbox of pkgfed.service, shared by the NixOS module. It is the same set
# as packaging/systemd/pkgfed.service (a test compares the two): pkgfed needs outbound
# TCP (registries, fediverse servers, DNS) and its state directory, nothing else.
{
  NoNewPrivileges = true;
  CapabilityBoundingSet = "";
  AmbientCapabilities = "";
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  PrivateUsers = true;
  PrivateMounts = true;
  DevicePolicy = "closed";
  ProtectHostname = true;
  ProtectClock = true;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectProc = "invisible";
  ProcSubset = "pid";
  RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" ];
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  RemoveIPC = true;
  LockPersonality = true;
  MemoryDenyWriteExecute = true;
  SystemCallArchitectures = "native";
  SystemCallFilter = [ "@system-service" "~@privileged @resources" ];
  SystemCallErrorNumber = "EPERM";
  UMask = "0077";
}
