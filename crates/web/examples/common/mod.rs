//! What the staff-page timings share: signing in over HTTP and timing a page.

use std::time::{Duration, Instant};

/// Signs `user` in with the demo password; returns the session cookie's value.
pub async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let r = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .strip_prefix("liancha_login=")
                .map(|s| s.split(';').next().unwrap().to_string())
        })
        .unwrap();
    let body = r.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &body[at..at + 64];
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", format!("liancha_login={cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={user}&password=Liancha%232026&csrf={csrf}&next=%2Fstaff"
        ))
        .send()
        .await
        .unwrap();
    r.headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .strip_prefix("liancha_session=")
                .map(|s| s.split(';').next().unwrap().to_string())
        })
        .unwrap_or_else(|| panic!("{user} could not sign in"))
}

/// `rounds` requests of `path`, one at a time: the times sorted, and the body's size.
pub async fn time_page(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    path: &str,
    rounds: usize,
) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(rounds);
    let mut size = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let r = http
            .get(format!("{base}{path}"))
            .header("cookie", format!("liancha_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        size = r.bytes().await.unwrap().len();
        times.push(t.elapsed());
    }
    times.sort();
    (times, size)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
