//! A headless Chromium driven through chromedriver (WebDriver), for end-to-end tests of the
//! dashboard. Debian's `chromium` and `chromium-driver` packages provide both, and `.ci/run`
//! installs them when they are missing; without them a test that needs a browser fails and
//! names them.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The window every page is seen, and photographed, in.
const WINDOW: &str = "--window-size=1280,900";

/// Where the screenshots go when `FERRY_SCREENSHOTS=1`: docs/dashboard.md shows them.
const SCREENSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/dashboard");

/// How long a page may take to appear after a click.
const PATIENCE: Duration = Duration::from_secs(15);

/// chromedriver on a free loopback port, in a process group of its own with the browsers it
/// starts: dropping it kills the group, so a failed test leaves no Chromium behind.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    async fn start() -> Chromedriver {
        for path in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the dashboard's end-to-end test drives a headless Chromium. \
                 Install Debian's packages: `apt-get install chromium chromium-driver` \
                 (.ci/run does when they are missing)"
            );
        }
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("{CHROMEDRIVER} did not start: {error}"));
        let driver = Chromedriver { child, port };
        for _ in 0..400 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not listen on port {port} within 20 s");
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let group = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) with the negated id of the group this driver leads (process_group(0)).
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// A headless Chromium looking at the server at `base`.
pub struct Browser {
    client: Client,
    base: String,
    _driver: Chromedriver,
}

impl Browser {
    pub async fn open(base: &str) -> Browser {
        let driver = Chromedriver::start().await;
        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", WINDOW],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|error| panic!("chromedriver opened no Chromium session: {error}"));
        Browser {
            client,
            base: base.to_string(),
            _driver: driver,
        }
    }

    /// Types `path` into the address bar.
    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The HTTP status the page shown came with (the Navigation Timing entry's).
    pub async fn status(&self) -> u16 {
        let status = self
            .client
            .execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus",
                Vec::new(),
            )
            .await
            .unwrap();
        status.as_u64().and_then(|s| u16::try_from(s).ok()).unwrap()
    }

    pub async fn title(&self) -> String {
        self.client.title().await.unwrap()
    }

    /// The text the page shows, as a reader sees it.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The text of the element at `xpath`.
    pub async fn text_at(&self, xpath: &str) -> String {
        let element = self.client.find(Locator::XPath(xpath)).await;
        let element = element.unwrap_or_else(|error| panic!("nothing at {xpath}: {error}"));
        element.text().await.unwrap()
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Types `value` into the field named `name`.
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("input[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|error| panic!("no field {name}: {error}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the link that reads `text` and waits for the page it leads to.
    pub async fn follow(&self, text: &str) {
        let link = self.client.find(Locator::LinkText(text)).await;
        let link = link.unwrap_or_else(|error| panic!("no link `{text}`: {error}"));
        self.click(link).await;
    }

    /// Clicks the button that reads `label` and waits for the page its form leads to.
    pub async fn press(&self, label: &str) {
        let xpath = format!("//button[normalize-space()='{label}']");
        let button = self.client.find(Locator::XPath(&xpath)).await;
        let button = button.unwrap_or_else(|error| panic!("no button `{label}`: {error}"));
        self.click(button).await;
    }

    /// Clicks `element`, then waits until the page it was on is gone.
    async fn click(&self, element: Element) {
        let before = self.client.find(Locator::Css("html")).await.unwrap();
        element.click().await.unwrap();
        let started = tokio::time::Instant::now();
        while before.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < PATIENCE,
                "no new page within {PATIENCE:?} of the click"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css("body"))
            .await
            .unwrap();
    }

    /// A PNG of the window; written to `docs/dashboard/NAME.png` when `FERRY_SCREENSHOTS=1`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
        if std::env::var("FERRY_SCREENSHOTS").is_ok_and(|v| v == "1") {
            let path = PathBuf::from(SCREENSHOTS).join(format!("{name}.png"));
            std::fs::create_dir_all(SCREENSHOTS).unwrap();
            std::fs::write(&path, png).unwrap();
        }
    }

    /// Ends the session: Chromium quits, then chromedriver is killed.
    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}
