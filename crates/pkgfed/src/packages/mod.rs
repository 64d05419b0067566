//! Package actors: creating, finding and removing them (here), creating them on
//! first lookup from their registry ([`lazy`]), and keeping the ones GETs find for a
//! second ([`cache`]).

pub mod cache;
pub mod lazy;
pub mod rotate;

use pkgfed_registries::adapter::PackageMetadata;
use pkgfed_registries::{Ecosystem, handle, parse_purl};

use crate::error::{Error, Result};
use crate::signing::generate_key;
use crate::store::{NewPackage, Package, PackageMeta, SharedStore};

/// Adds the package named by `purl` (a version in it is ignored) with a fresh key.
pub async fn add(
    store: &SharedStore,
    ecosystems: &[Ecosystem],
    purl: &str,
    meta: PackageMeta,
) -> Result<Package> {
    let (id, _version) = parse_purl(purl).map_err(|e| Error::BadRequest(e.to_string()))?;
    if !ecosystems.contains(&id.ecosystem()) {
        return Err(Error::BadRequest(format!(
            "ecosystem `{}` is not enabled: add it to packages.ecosystems",
            id.ecosystem()
        )));
    }
    if let Some(existing) = store.package_by_key(id.ecosystem(), &id.key()).await? {
        return Err(Error::Conflict(format!(
            "package {} is already added (as {})",
            existing.purl, existing.handle
        )));
    }
    let key = generate_key().await?;
    let new = NewPackage {
        ecosystem: id.ecosystem(),
        name_key: id.key(),
        name: id.name().to_owned(),
        handle: handle::to_handle(&id, ecosystems.len() == 1),
        purl: id.purl(),
        meta,
        private_key_pem: key.to_pkcs8_pem(),
        public_key_pem: key.public_key_pem(),
    };
    Ok(store.add_package(&new).await?)
}

/// Finds a package by purl, or by handle (any spelling the ecosystem treats as the
/// same name).
pub async fn find(
    store: &SharedStore,
    ecosystems: &[Ecosystem],
    purl_or_handle: &str,
) -> Result<Option<Package>> {
    if purl_or_handle.starts_with("pkg:") {
        let (id, _) = parse_purl(purl_or_handle).map_err(|e| Error::BadRequest(e.to_string()))?;
        return Ok(store.package_by_key(id.ecosystem(), &id.key()).await?);
    }
    find_by_handle(store, ecosystems, purl_or_handle).await
}

/// Finds a package by handle: the stored handle first, then the handle decoded
/// (so `serde-json` finds `serde_json`).
pub async fn find_by_handle(
    store: &SharedStore,
    ecosystems: &[Ecosystem],
    handle_text: &str,
) -> Result<Option<Package>> {
    if let Some(p) = store.package_by_handle(handle_text).await? {
        return Ok(Some(p));
    }
    match handle::from_handle(handle_text, ecosystems) {
        Ok((eco, key)) => Ok(store.package_by_key(eco, &key).await?),
        // `serde-json` names the package whose handle is `serde_json`.
        Err(pkgfed_registries::Error::NonCanonicalHandle { canonical, .. }) => {
            Ok(store.package_by_handle(&canonical).await?)
        }
        Err(_) => Ok(None),
    }
}

/// The package's metadata as the actor shows it.
pub fn meta_from(m: &PackageMetadata) -> PackageMeta {
    PackageMeta {
        display_name: None,
        description: m.description.clone(),
        homepage: m.homepage.clone(),
        repository: m.repository.clone(),
        license: m.license.clone(),
    }
}
