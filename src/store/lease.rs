//! Leases: which process holds a resource only one may use at a time (the Discord gateway of a
//! guild), so a second process can wait beside it as a standby and take over when it dies.
//!
//! - PostgreSQL: a session advisory lock held on a connection of its own, outside the pool. The
//!   server lets go of it the moment that connection ends: the process stopped or was killed
//!   (the system closes its sockets), or its machine stopped answering (the connection asks the
//!   server to drop a silent peer: TCP keepalives after 3 s idle, then 3 probes 1 s apart). The
//!   holder checks its connection every [`HEARTBEAT`] and lets go of what the lease guards as
//!   soon as a check fails or goes unanswered for 4 s, about when the server would let go.
//! - SQLite: an exclusive lock on a file beside the database. The system lets go of it when
//!   the process ends, however it ends. SQLite serves one machine, so a standby has nothing to
//!   add: [`Store::try_lease`] only says the lease is taken.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::{AnyConnection, Connection};

use super::{Backend, Store, StoreError};

/// How often the holder of a PostgreSQL lease checks that its connection still works.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// How long a heartbeat may take before the lease counts as lost.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(4);

/// A lease this process holds until it is dropped (or, on PostgreSQL, its connection fails:
/// see [`Lease::lost`]).
pub struct Lease {
    held: Held,
}

enum Held {
    Postgres(AnyConnection),
    /// The lock goes with the file.
    Sqlite {
        _locked: std::fs::File,
    },
    /// An in-memory SQLite database is this process's alone.
    Private,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.held {
            Held::Postgres(_) => "postgres advisory lock",
            Held::Sqlite { .. } => "sqlite lock file",
            Held::Private => "private database",
        };
        f.debug_struct("Lease").field("held", &kind).finish()
    }
}

/// The 64-bit key of lease `name` (FNV-1a): the same in every process and every version.
fn key(name: &str) -> i64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    hash as i64
}

impl Store {
    /// Takes lease `name` if no other process holds it; `None` when one does.
    pub async fn try_lease(&self, name: &str) -> Result<Option<Lease>, StoreError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = self.pool.acquire().await?.detach();
                // The server ends a connection whose peer went silent within 6 s, and with it
                // the lock (the default waits two hours).
                for setting in [
                    "SET tcp_keepalives_idle = 3",
                    "SET tcp_keepalives_interval = 1",
                    "SET tcp_keepalives_count = 3",
                ] {
                    sqlx::raw_sql(setting).execute(&mut conn).await?;
                }
                let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key(name))
                    .fetch_one(&mut conn)
                    .await?;
                if taken {
                    Ok(Some(Lease {
                        held: Held::Postgres(conn),
                    }))
                } else {
                    // Closed at once: a waiting standby holds no connection.
                    let _ = conn.close().await;
                    Ok(None)
                }
            }
            Backend::Sqlite => {
                let Some(database) = &self.sqlite_file else {
                    return Ok(Some(Lease {
                        held: Held::Private,
                    }));
                };
                let path = lock_file(database, name);
                let failed = |source| StoreError::CreateFile {
                    path: path.clone(),
                    source,
                };
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(false);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let file = options.open(&path).map_err(failed)?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(Lease {
                        held: Held::Sqlite { _locked: file },
                    })),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(error)) => Err(failed(error)),
                }
            }
        }
    }
}

/// The lock file of lease `name` beside SQLite file `database`.
fn lock_file(database: &std::path::Path, name: &str) -> PathBuf {
    let mut file = database.as_os_str().to_owned();
    file.push(format!(".{}.lock", name.replace(['/', ':'], "-")));
    PathBuf::from(file)
}

impl Lease {
    /// Completes when the lease can no longer be trusted: its PostgreSQL connection failed a
    /// heartbeat (the server may already have handed it to a standby). A lease on SQLite or an
    /// in-memory database is never lost.
    pub async fn lost(&mut self) -> StoreError {
        let Held::Postgres(conn) = &mut self.held else {
            return std::future::pending().await;
        };
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            match tokio::time::timeout(HEARTBEAT_TIMEOUT, conn.ping()).await {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => return error.into(),
                Err(_) => {
                    return StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the lease's connection did not answer the heartbeat",
                    )));
                }
            }
        }
    }

    /// Gives the lease up now (dropping it does too; this waits until the server knows).
    pub async fn release(self) {
        if let Held::Postgres(conn) = self.held {
            let _ = conn.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_key_is_the_same_everywhere_and_differs_by_name() {
        assert_eq!(key("discord:1"), key("discord:1"));
        assert_ne!(key("discord:1"), key("discord:2"));
        // FNV-1a of the empty name is its offset basis: the hash is the published one.
        assert_eq!(key("") as u64, 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn the_lock_file_sits_beside_the_database() {
        let path = lock_file(std::path::Path::new("/data/portbot.db"), "discord:42");
        assert_eq!(path, PathBuf::from("/data/portbot.db.discord-42.lock"));
    }
}
