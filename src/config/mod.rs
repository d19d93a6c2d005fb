//! Configuration: schema, loading, validation.
pub mod duration;
pub mod schema;

pub use duration::Duration;
pub use schema::*;

// TEMPORARY until the loader lands.
impl Config {
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
    pub fn current_context(&self) -> &str {
        self.context
            .as_deref()
            .or(self.sources.first().map(|s| s.name.as_str()))
            .unwrap_or("default")
    }
}
