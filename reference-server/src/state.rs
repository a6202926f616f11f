/*!
What one running reference server holds: the store, the clock, the settings, the Rocket.Chat
release it behaves as, where the fixture came from, and whether the test-control API is on.

The store sits behind a read-write lock: queries run concurrently, writes one at a time.
*/

use std::path::PathBuf;

use parking_lot::RwLock;

use crate::fixtures::{self, FixtureError};
use crate::settings::Settings;
use crate::store::Store;
use crate::time::Clock;
use crate::version::{Emulated, Line};

/// Where the fixture data comes from, so it can be loaded again.
#[derive(Debug, Clone)]
pub enum FixtureSource {
    File(PathBuf),
    /// Fixture text held in memory; `name` stands for the file in errors.
    Inline {
        name: String,
        text: String,
    },
}

impl FixtureSource {
    pub fn load(&self, clock: &Clock) -> Result<Store, FixtureError> {
        match self {
            FixtureSource::File(path) => fixtures::load_file(path, clock.now()),
            FixtureSource::Inline { name, text } => fixtures::load_str(name, text, clock.now()),
        }
    }
}

/// How to build a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub fixture: FixtureSource,
    pub settings: Settings,
    /// The Rocket.Chat release to behave as.
    pub emulated: Emulated,
    /// Serve the test-control API (`/test-control/...`).
    pub test_control: bool,
    /// Start with a stopped clock at this instant instead of the system time.
    pub start_clock_at: Option<i64>,
}

impl ServerOptions {
    pub fn new(fixture: FixtureSource) -> Self {
        Self {
            fixture,
            settings: Settings::default(),
            emulated: Emulated::default(),
            test_control: false,
            start_clock_at: None,
        }
    }
}

pub struct AppState {
    pub store: RwLock<Store>,
    pub clock: Clock,
    pub settings: RwLock<Settings>,
    pub emulated: RwLock<Emulated>,
    pub fixture: FixtureSource,
    pub test_control: bool,
}

impl AppState {
    /// Loads the fixture; fails with the fixture's error.
    pub fn new(options: ServerOptions) -> Result<Self, FixtureError> {
        let clock = match options.start_clock_at {
            Some(at) => Clock::manual(at),
            None => Clock::system(),
        };
        let store = options.fixture.load(&clock)?;
        Ok(Self {
            store: RwLock::new(store),
            clock,
            settings: RwLock::new(options.settings),
            emulated: RwLock::new(options.emulated),
            fixture: options.fixture,
            test_control: options.test_control,
        })
    }

    /// The version line the server behaves as now.
    pub fn line(&self) -> Line {
        self.emulated.read().line
    }

    /// Loads the fixture again, relative times counted from the clock's now. On error the
    /// current data stays.
    pub fn reload_fixture(&self) -> Result<(), FixtureError> {
        let fresh = self.fixture.load(&self.clock)?;
        *self.store.write() = fresh;
        Ok(())
    }
}
