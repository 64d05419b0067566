//! Package URLs and actor handles, the two ways a remote user names a package.
//! Besides not panicking: a purl that parses maps to a handle that maps back
//! to the same package, in single- and multi-ecosystem mode (over-long names
//! get a hashed handle, which is looked up rather than decoded).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_registries::{Ecosystem, Error, PackageId, handle, parse_purl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((package, _version)) = parse_purl(text) {
        let purl = package.purl();
        let (again, _) = parse_purl(&purl)
            .unwrap_or_else(|e| panic!("canonical purl `{purl}` of `{text}` does not parse: {e}"));
        assert_eq!(again.key(), package.key(), "purl round trip of `{text}`");
        for single in [true, false] {
            let name = handle::to_handle(&package, single);
            let enabled: &[Ecosystem] = if single {
                &[package.ecosystem()]
            } else {
                &Ecosystem::ALL
            };
            match handle::from_handle(&name, enabled) {
                Ok(back) => assert_eq!(
                    back,
                    (package.ecosystem(), package.key()),
                    "handle round trip of `{purl}`"
                ),
                // Over-long names get a hashed handle, looked up in the store.
                Err(Error::HashedHandle { .. }) => {}
                Err(e) => panic!("handle `{name}` of `{purl}` does not parse: {e}"),
            }
        }
    }
    for enabled in [&Ecosystem::ALL[..], &[Ecosystem::Npm][..]] {
        if let Ok((ecosystem, key)) = handle::from_handle(text, enabled)
            && let Ok(package) = PackageId::new(ecosystem, &key)
        {
            let _ = package.purl();
        }
    }
});
