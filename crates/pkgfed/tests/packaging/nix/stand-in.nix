# A small stand-in for nixpkgs' `lib` and `pkgs`, and for the NixOS module system,
# just large enough to evaluate nix/module.nix, nix/package.nix and flake.nix here,
# where no nixpkgs can be fetched. It is NOT nixpkgs: it implements the few functions
# those files call, checks option types the way the module system does for these
# types, applies defaults, lets `mkDefault` lose to a user's value, and turns an unset
# option without default into an error naming its path. What it cannot show: that the
# real nixpkgs functions behave the same, and that the NixOS system builds or boots.
let
  showPath = path: builtins.concatStringsSep "." path;

  types = {
    bool = { name = "bool"; check = builtins.isBool; };
    str = { name = "str"; check = builtins.isString; };
    path = { name = "path"; check = x: builtins.isPath x || (builtins.isString x && builtins.substring 0 1 x == "/"); };
    package = { name = "package"; check = x: builtins.isAttrs x && x ? outPath; };
    ints.positive = { name = "positive integer"; check = x: builtins.isInt x && x > 0; };
    enum = values: { name = "one of ${builtins.toJSON values}"; check = x: builtins.elem x values; };
    nullOr = t: { name = "null or ${t.name}"; check = x: x == null || t.check x; };
    listOf = t: { name = "list of ${t.name}"; check = x: builtins.isList x && builtins.all t.check x; };
    nonEmptyListOf = t: { name = "non-empty list of ${t.name}"; check = x: builtins.isList x && x != [ ] && builtins.all t.check x; };
    submodule = m: { name = "submodule"; options = m.options or { }; check = builtins.isAttrs; };
  };

  lib = rec {
    inherit types;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { type = types.bool; default = false; description = "Whether to enable ${name}."; };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkDefault = content: { _type = "override"; priority = 1000; inherit content; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    optional = cond: x: if cond then [ x ] else [ ];
    optionalString = cond: s: if cond then s else "";
    optionalAttrs = cond: attrs: if cond then attrs else { };
    hasPrefix = pre: s: builtins.substring 0 (builtins.stringLength pre) s == pre;
    hasSuffix = suf: s:
      let ls = builtins.stringLength s; lsuf = builtins.stringLength suf;
      in ls >= lsuf && builtins.substring (ls - lsuf) lsuf s == suf;
    hasInfix = infix: s: builtins.length (builtins.split infix s) > 1;
    removePrefix = pre: s:
      if hasPrefix pre s then builtins.substring (builtins.stringLength pre) (builtins.stringLength s) s else s;
    splitString = sep: s: builtins.filter builtins.isString (builtins.split sep s);
    last = list: builtins.elemAt list (builtins.length list - 1);
    toInt = s: let n = builtins.fromJSON s; in if builtins.isInt n then n else throw "toInt: ${s}";
    getExe = p: "${p}/bin/${p.meta.mainProgram}";
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    cleanSourceWith = { src, filter, name ? "source" }: { _type = "source"; inherit src filter name; };
    licenses = { mit = { spdxId = "MIT"; }; asl20 = { spdxId = "Apache-2.0"; }; };
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];
  };

  package = {
    outPath = "/nix/store/00000000000000000000000000000000-pkgfed-0.1.0";
    meta.mainProgram = "pkgfed";
  };

  pkgs = {
    formats.toml = { }: {
      type = { name = "TOML value"; check = _: true; };
      generate = name: value: {
        _type = "generated";
        inherit name value;
        outPath = "/nix/store/11111111111111111111111111111111-${name}";
      };
    };
    stdenv = {
      hostPlatform.system = "x86_64-linux";
      buildPlatform.canExecute = _: true;
    };
    # Returns its arguments, so the test can read what the flake asks to build.
    rustPlatform.buildRustPackage = args: args // { _type = "buildRustPackage"; };
    installShellFiles = { name = "installShellFiles"; };
    testers.runNixOSTest = test: test // { _type = "nixosTest"; };
    callPackage = fn: extra:
      let f = import fn;
      in f ({ inherit lib; inherit (pkgs) stdenv rustPlatform installShellFiles; } // extra);
  };

  # User values over `mkDefault`s the module set on its own options.
  resolveDefaults = v:
    if builtins.isAttrs v && (v._type or null) == "override" then v.content
    else if builtins.isAttrs v && !(v ? _type) then builtins.mapAttrs (_: resolveDefaults) v
    else v;
  recursiveUpdate = a: b:
    a // builtins.mapAttrs
      (n: bv: if builtins.isAttrs bv && builtins.isAttrs (a.${n} or null) && !(bv ? _type) then recursiveUpdate a.${n} bv else bv)
      b;

  isOption = o: builtins.isAttrs o && (o._type or null) == "option";
  # The value of every declared option (user value, else default, type-checked) plus
  # undeclared keys passed through (the freeform settings).
  evalOptions = path: opts: values:
    let
      declared = builtins.mapAttrs (n: o: evalOption (path ++ [ n ]) o (values ? ${n}) (values.${n} or null)) opts;
    in
    (removeAttrs values (builtins.attrNames opts)) // declared;
  evalOption = path: o: isSet: value:
    if !isOption o then evalOptions path o (if isSet then value else { })
    else
      let
        v = if isSet then value
          else if o ? default then o.default
          else throw "The option `${showPath path}' is used but not defined.";
      in
      if o.type.name == "submodule" then
        (if builtins.isAttrs v then evalOptions path o.type.options v
         else throw "The option `${showPath path}' is not of type submodule.")
      else if o.type.check v then v
      else throw "The option `${showPath path}' is not of type ${o.type.name}: ${builtins.toJSON v}";

  # Declared options as a flat list: path, type and default (for the option tree).
  optionTree = path: opts:
    builtins.concatLists (builtins.attrValues (builtins.mapAttrs
      (n: o:
        let p = path ++ [ n ]; in
        if isOption o then
          [ { path = showPath p; type = o.type.name; hasDefault = o ? default; } ]
          ++ (if o.type.name == "submodule" then optionTree p o.type.options else [ ])
        else optionTree p o)
      opts));

  # Evaluates a NixOS module that declares services.pkgfed with `user` as the
  # configuration of services.pkgfed.
  evalModule = module: user:
    let
      result = module { inherit lib pkgs; config.services.pkgfed = cfg; };
      # The module's own contributions to its options (assumes enable = true).
      own = resolveDefaults (result.config.content.services.pkgfed or { });
      cfg = evalOptions [ "services" "pkgfed" ] result.options.services.pkgfed
        (recursiveUpdate own ({ package = package; } // user));
      config = if result.config.condition then result.config.content else { };
    in
    { inherit cfg config; options = optionTree [ "services" "pkgfed" ] result.options.services.pkgfed; };
in
{
  inherit lib pkgs package evalModule;
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (_: pkgs);
  };
}
