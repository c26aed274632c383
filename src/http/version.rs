//! The data version as the server knows it. Imports (in any process) bump it in the database
//! and `NOTIFY stadsatlas_data`; the server LISTENs and updates its copy at once, and also
//! re-reads it every few seconds in case a notification was lost while reconnecting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;

pub const CHANNEL: &str = "stadsatlas_data";
const POLL: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct DataVersion(Arc<AtomicI64>);

impl DataVersion {
    /// Reads the current version and starts following it.
    pub async fn follow(pool: &PgPool) -> Result<DataVersion, sqlx::Error> {
        let current = crate::db::data_version(pool).await?;
        let version = DataVersion(Arc::new(AtomicI64::new(current)));
        let listener = PgListener::connect_with(pool).await;
        let follower = version.clone();
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut listener = match listener {
                Ok(mut l) => match l.listen(CHANNEL).await {
                    Ok(()) => Some(l),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot LISTEN for data changes; polling only");
                        None
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for data changes; polling only");
                    None
                }
            };
            loop {
                match listener.as_mut() {
                    Some(l) => {
                        tokio::select! {
                            n = l.try_recv() => match n {
                                Ok(Some(n)) => {
                                    if let Ok(v) = n.payload().parse::<i64>() {
                                        follower.raise(v);
                                        continue;
                                    }
                                }
                                Ok(None) => tracing::warn!("LISTEN connection lost; reconnecting"),
                                Err(_) if pool.is_closed() => return,
                                Err(e) => {
                                    tracing::warn!(error = %e, "LISTEN failed; polling");
                                    tokio::time::sleep(POLL).await;
                                }
                            },
                            _ = tokio::time::sleep(POLL) => {}
                        }
                    }
                    None => tokio::time::sleep(POLL).await,
                }
                if pool.is_closed() {
                    return;
                }
                match crate::db::data_version(&pool).await {
                    Ok(v) => follower.raise(v),
                    Err(e) => tracing::debug!(error = %e, "cannot read the data version"),
                }
            }
        });
        Ok(version)
    }

    /// A fixed version that never changes (tests of handlers in isolation).
    pub fn fixed(v: i64) -> DataVersion {
        DataVersion(Arc::new(AtomicI64::new(v)))
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    /// Versions only grow; a late notification cannot take the version back.
    fn raise(&self, v: i64) {
        let old = self.0.fetch_max(v, Ordering::AcqRel);
        if v > old {
            tracing::info!(
                from = old,
                to = v,
                "data version changed: cached responses are stale"
            );
        }
    }
}
