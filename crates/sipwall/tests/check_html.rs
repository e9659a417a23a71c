//! `sipwall check --html FILE`: a real reflector on loopback, a real check that writes the
//! report, and the report opened in headless Chromium (the DOM it builds and a screenshot).
//! Chromium comes from `scripts/install-deps`; without it this test fails and says so.
//!
//! Set `SIPWALL_HTML_ARTIFACTS=DIR` to keep the report and the screenshot in DIR.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// This test's loopback ports (the range 37000–37099 belongs to the HTML report's tests).
const PRIMARY: &str = "127.0.0.1:37080";
const ALTERNATE: &str = "127.0.0.2:37081";
const SIP: &str = "udp:37082,tcp:37082,udp:37083,tcp:37083,tls:37084";
const CONTROL: &str = "127.0.0.1:37085";

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The reflector on 127.0.0.1 and 127.0.0.2, once it listens.
fn serve() -> Stop {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "serve",
            "--primary",
            PRIMARY,
            "--alternate",
            ALTERNATE,
            "--sip",
            SIP,
            "--control",
            CONTROL,
            "--duration",
            "120",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipwall serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    loop {
        let line = lines
            .next()
            .expect("serve reports its sockets")
            .expect("serve's stderr is text");
        assert!(!line.contains("error"), "serve failed: {line}");
        if line.contains("serving CONTROL/TCP") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Stop(child)
}

/// The headless browser: Debian's `chromium`, or another name for it on the PATH.
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "chromium is missing: this test opens the HTML report in headless Chromium. Run \
         scripts/install-deps as root (it installs the Debian package `chromium`), or \
         `apt-get install chromium`."
    );
}

/// Runs headless Chromium on `page` with `args`, killed after a minute.
fn run_chromium(browser: &Path, profile: &Path, args: &[&str], page: &Path) -> Output {
    let mut child = Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    while child
        .try_wait()
        .expect("chromium can be waited for")
        .is_none()
    {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let output = child.wait_with_output().expect("chromium's output");
            panic!(
                "chromium did not finish within 60 s; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("chromium's output")
}

/// The last line of the human summary: `FAIL: 3 pass, 0 warn, 1 fail, 1 inconclusive, 2 not
/// tested` → the overall status and the non-zero counts.
fn summary_line(stdout: &str) -> (String, Vec<(u32, String)>) {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" pass, ") && l.contains(" not tested"))
        .unwrap_or_else(|| panic!("no summary line in the human output:\n{stdout}"));
    let (status, counts) = line.split_once(": ").expect("STATUS: counts");
    let counts = counts
        .split(", ")
        .filter_map(|part| {
            let (n, word) = part.trim().split_once(' ')?;
            Some((n.parse().ok()?, word.to_owned()))
        })
        .filter(|(n, _)| *n > 0)
        .collect();
    (status.trim().to_owned(), counts)
}

#[test]
fn check_writes_an_html_report_that_a_browser_renders() {
    let browser = chromium();
    let _server = serve();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report = dir.path().join("report.html");
    let output = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "check",
            "--server",
            CONTROL,
            "--media-seconds",
            "2",
            "--html",
        ])
        .arg(&report)
        .output()
        .expect("sipwall check runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Loopback has no NAT and no reflector on 5060: some verdicts are inconclusive or not
    // tested (exit 1), none is a usage error (2) or an unreachable reflector (3).
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "check failed ({:?}); stdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // The human summary is printed as usual.
    assert!(
        stdout.contains("sipwall check against"),
        "no human summary:\n{stdout}\nstderr:\n{stderr}"
    );
    let (status, counts) = summary_line(&stdout);

    let html = std::fs::read_to_string(&report).expect("the report was written");
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..html.len().min(200)]
    );
    assert!(!html.to_lowercase().contains("<script"));
    assert!(html.len() < 1_000_000, "the report is {} bytes", html.len());

    // The DOM Chromium builds from the file.
    let dom = run_chromium(
        &browser,
        &dir.path().join("profile-dom"),
        &["--dump-dom"],
        &report,
    );
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<html lang=\"en\">"), "{dom}");
    assert!(dom.contains("<svg"), "no chart in the DOM:\n{dom}");
    assert!(dom.contains("<title>sipwall check: "));
    // Verdict rows: what loopback always judges.
    for id in [
        "nat.mapping",
        "sip-alg",
        "media.quality",
        "nat.binding-lifetime",
    ] {
        assert!(
            dom.contains(&format!("<code class=\"id\">{id}</code>")),
            "no verdict row {id} in the DOM:\n{dom}"
        );
    }
    // The words of the human summary: its overall status and every non-zero count.
    assert!(
        dom.contains(&format!("<span class=\"big\">{status}</span>")),
        "the overall status {status} is not in the DOM:\n{dom}"
    );
    for (n, word) in &counts {
        assert!(
            dom.contains(&format!("{n} {word}</span>")),
            "the summary's \"{n} {word}\" is not in the DOM"
        );
    }
    for heading in [
        "Requirements",
        "What to fix",
        "Media quality",
        "Binding lifetime",
    ] {
        assert!(dom.contains(heading), "no {heading} in the DOM");
    }

    // A screenshot of the rendered page.
    let png = dir.path().join("report.png");
    let shot = run_chromium(
        &browser,
        &dir.path().join("profile-shot"),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
        &report,
    );
    assert!(
        shot.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let image = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(image.len() > 10_000, "a {}-byte screenshot", image.len());
    assert_eq!(image[..8], PNG_SIGNATURE, "the screenshot is a PNG");

    if let Some(keep) = std::env::var_os("SIPWALL_HTML_ARTIFACTS") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("the artifacts directory");
        std::fs::copy(&report, keep.join("check-report.html")).expect("the report is kept");
        std::fs::copy(&png, keep.join("check-report.png")).expect("the screenshot is kept");
    }
}
