//! [`crate::store::cluster::ClusterStore`] on SQLite: the statements shared with the
//! other backend ([`crate::store::cluster::impl_cluster_store`]).

use super::{SqliteStore, backend};

crate::store::cluster::impl_cluster_store!(SqliteStore);
