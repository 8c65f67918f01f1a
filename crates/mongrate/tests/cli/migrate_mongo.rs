//! The real migrate-mongo (Node, installed in tools/node by tools/setup.sh) on a project of its
//! own, for comparing mongrate with it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{MongoUrl, copy_dir, repo_root};

pub fn node_modules() -> PathBuf {
    let modules = repo_root().join("tools/node/node_modules");
    assert!(
        modules.join(".bin/migrate-mongo").exists(),
        "migrate-mongo is not installed: run `bash tools/setup.sh` (it runs `npm ci --prefix tools/node`)"
    );
    modules
}

/// A migrate-mongo project on `url`'s database, running the corpus.
pub struct MigrateMongo {
    pub dir: tempfile::TempDir,
    modules: PathBuf,
    pub database: mongodb::Database,
    /// Environment variables of every run.
    pub env: Vec<(String, String)>,
}

impl MigrateMongo {
    /// A project whose migrations are a copy of `corpus`.
    pub fn with_corpus(url: &str, corpus: &Path) -> MigrateMongo {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(corpus, &dir.path().join("migrations"));
        // migrate-mongo takes the server's URL (credentials and options kept) and the database apart.
        let url = MongoUrl::parse(url);
        let (server, database) = (url.with_database(""), url.database);
        // lockTtl 0: migrate-mongo's lock needs a TTL index, which FerretDB lacks.
        let config = format!(
            "module.exports = {{ mongodb: {{ url: {server:?}, databaseName: {database:?}, options: {{}} }}, \
             migrationsDir: 'migrations', changelogCollectionName: 'changelog', lockCollectionName: 'changelog_lock', \
             lockTtl: 0, migrationFileExtension: '.js', useFileHash: false, moduleSystem: 'commonjs' }};\n"
        );
        std::fs::write(dir.path().join("migrate-mongo-config.js"), config).expect("config");
        let client = crate::support::block_on(mongodb::Client::with_uri_str(&server)).expect("client");
        MigrateMongo { dir, modules: node_modules(), database: client.database(&database), env: Vec::new() }
    }

    /// Runs `migrate-mongo ARGS` in the project; returns its standard output.
    pub fn run(&self, args: &[&str]) -> String {
        let output = Command::new(self.modules.join(".bin/migrate-mongo"))
            .args(args)
            .current_dir(self.dir.path())
            // The corpus requires 'mongodb': Node finds it through NODE_PATH.
            .env("NODE_PATH", &self.modules)
            .env_remove("MONGRATE_CORPUS_GREETING")
            .env_remove("MONGRATE_CORPUS_BATCH_SIZE")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("node runs migrate-mongo");
        assert!(
            output.status.success(),
            "migrate-mongo {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}
