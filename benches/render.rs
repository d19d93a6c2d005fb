//! Render time of one full frame, and how many HTTP requests one refresh costs.
//!
//! `cargo bench --bench render` prints criterion's figures for:
//! - the overview at 200x50 with 50 services and 361 points per series (target: < 1 ms),
//! - the service view at 200x50,
//!
//! and, before them, the number of `query_range` requests per refresh for 3 and 50 services
//! (must not grow with the number of services).

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use sretop::app::{App, Msg, View};
use sretop::fixture;

fn empty_app(n: usize) -> App {
    let names: Vec<String> = (0..n).map(|i| format!("svc-{i:03}")).collect();
    App::new(
        fixture::config(&names),
        fixture::fixed_now(),
        chrono::FixedOffset::east_opt(0).expect("utc"),
    )
}

fn app_with(n: usize, points: i64) -> App {
    let mut app = empty_app(n);
    app.points = points;
    let now = app.now;
    let cmds = app.update(Msg::Tick, now);
    fixture::answer(&mut app, cmds, now, None);
    app
}

/// One `Cmd::Fetch` is one HTTP request.
fn requests_per_refresh(n: usize) -> usize {
    let mut app = empty_app(n);
    let now = app.now;
    app.update(Msg::Tick, now).len()
}

fn render(c: &mut Criterion) {
    for n in [3, 50] {
        println!(
            "requests per refresh with {n} services: {}",
            requests_per_refresh(n)
        );
    }
    let app = app_with(50, 360);
    let points = app.services[0]
        .traffic
        .as_ref()
        .map_or(0, |s| s.values.len());
    println!("points per series: {points}");
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    c.bench_function("overview 200x50, 50 services, 361 points", |b| {
        b.iter(|| {
            terminal
                .draw(|f| sretop::ui::render(&app, f))
                .expect("draw");
        })
    });
    let mut app = app;
    app.view = View::Service;
    c.bench_function("service view 200x50, 361 points", |b| {
        b.iter(|| {
            terminal
                .draw(|f| sretop::ui::render(&app, f))
                .expect("draw");
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
