//! [`crate::store::cluster::ClusterStore`] on PostgreSQL: the statements shared with the
//! other backend ([`crate::store::cluster::impl_cluster_store`]).

use super::{PgStore, backend};

crate::store::cluster::impl_cluster_store!(PgStore);
