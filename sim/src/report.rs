//! CSV and PNG output.

use crate::market::{MonthRecord, PricePoint};
use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use std::path::Path;

/// Writes `rows` as CSV to `path`.
pub fn csv<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<()> {
	let mut writer = csv::Writer::from_path(path).with_context(|| format!("{}", path.display()))?;
	for row in rows {
		writer.serialize(row)?;
	}
	writer.flush()?;
	Ok(())
}

/// Registers the font plotters draws text with (DejaVu Sans, Debian's `fonts-dejavu-core`).
pub fn load_font() -> Result<()> {
	const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
	let bytes = std::fs::read(FONT)
		.with_context(|| format!("{FONT}: install the Debian package fonts-dejavu-core"))?;
	// plotters keeps registered fonts for the life of the process.
	let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
	plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
		.map_err(|_| anyhow!("{FONT} is not a usable font"))
}

fn plot_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
	anyhow!("plot: {error:?}")
}

/// The base price and demand of one price run, hour by hour.
pub fn price_plot(path: &Path, points: &[PricePoint]) -> Result<()> {
	let root = BitMapBackend::new(path, (1000, 500)).into_drawing_area();
	root.fill(&WHITE).map_err(plot_error)?;
	let hours = points.len() as u32;
	let (low, high) = points
		.iter()
		.fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.base_price), hi.max(p.base_price)));
	let mut chart = ChartBuilder::on(&root)
		.caption("Base price under demand shocks (gpu-24g, EMB per hour)", ("sans-serif", 20))
		.margin(10)
		.x_label_area_size(40)
		.y_label_area_size(60)
		.right_y_label_area_size(60)
		.build_cartesian_2d(0..hours, (low * 0.95)..(high * 1.05))
		.map_err(plot_error)?
		.set_secondary_coord(
			0..hours,
			0.0..points.iter().map(|p| p.demand).fold(0.0, f64::max) * 1.1,
		);
	chart.configure_mesh().x_desc("hour").y_desc("base price (EMB)").draw().map_err(plot_error)?;
	chart
		.configure_secondary_axes()
		.y_desc("demand (device-hours/hour)")
		.draw()
		.map_err(plot_error)?;
	chart
		.draw_series(LineSeries::new(points.iter().map(|p| (p.hour, p.base_price)), &BLUE))
		.map_err(plot_error)?
		.label("base price")
		.legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
	chart
		.draw_secondary_series(LineSeries::new(points.iter().map(|p| (p.hour, p.demand)), &RED))
		.map_err(plot_error)?
		.label("demand")
		.legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
	chart.configure_series_labels().border_style(BLACK).draw().map_err(plot_error)?;
	root.present().map_err(plot_error)?;
	Ok(())
}

/// Survival probability against monthly demand growth.
pub fn survival_plot(path: &Path, points: &[(f64, f64)]) -> Result<()> {
	let root = BitMapBackend::new(path, (800, 500)).into_drawing_area();
	root.fill(&WHITE).map_err(plot_error)?;
	let max_growth = points.iter().map(|p| p.0).fold(0.0, f64::max) * 100.0;
	let mut chart = ChartBuilder::on(&root)
		.caption("Network survival vs monthly demand growth", ("sans-serif", 20))
		.margin(10)
		.x_label_area_size(40)
		.y_label_area_size(60)
		.build_cartesian_2d(0.0..max_growth.max(1.0), 0.0..1.05)
		.map_err(plot_error)?;
	chart
		.configure_mesh()
		.x_desc("monthly demand growth (%)")
		.y_desc("share of runs that survived")
		.draw()
		.map_err(plot_error)?;
	chart
		.draw_series(LineSeries::new(points.iter().map(|(g, s)| (g * 100.0, *s)), &BLUE))
		.map_err(plot_error)?;
	chart
		.draw_series(points.iter().map(|(g, s)| Circle::new((g * 100.0, *s), 4, BLUE.filled())))
		.map_err(plot_error)?;
	root.present().map_err(plot_error)?;
	Ok(())
}

/// Miners and EMB price over the months of the given runs (one line per run).
pub fn runs_plot(path: &Path, runs: &[Vec<MonthRecord>]) -> Result<()> {
	let root = BitMapBackend::new(path, (1000, 500)).into_drawing_area();
	root.fill(&WHITE).map_err(plot_error)?;
	let (left, right) = root.split_horizontally(500);
	let months = runs.iter().map(|r| r.len() as u32).max().unwrap_or(1);
	let max_miners = runs.iter().flatten().map(|m| m.miners).max().unwrap_or(1) as f64 * 1.1;
	let max_token = runs.iter().flatten().map(|m| m.token_usd).fold(0.0, f64::max) * 1.1;
	for (area, title, max, value) in [
		(
			&left,
			"Miners",
			max_miners,
			(|m: &MonthRecord| m.miners as f64) as fn(&MonthRecord) -> f64,
		),
		(&right, "EMB price (USD)", max_token, |m: &MonthRecord| m.token_usd),
	] {
		let mut chart = ChartBuilder::on(area)
			.caption(title, ("sans-serif", 18))
			.margin(10)
			.x_label_area_size(35)
			.y_label_area_size(50)
			.build_cartesian_2d(0..months, 0.0..max.max(0.01))
			.map_err(plot_error)?;
		chart.configure_mesh().x_desc("month").draw().map_err(plot_error)?;
		for (index, run) in runs.iter().enumerate() {
			let colour = Palette99::pick(index);
			chart
				.draw_series(LineSeries::new(run.iter().map(|m| (m.month, value(m))), &colour))
				.map_err(plot_error)?;
		}
	}
	root.present().map_err(plot_error)?;
	Ok(())
}

/// The base price of each [`crate::market::batched_run`] (labelled by its seed: 0 steady, else
/// the daily factor).
pub fn batched_plot(path: &Path, runs: &[Vec<PricePoint>]) -> Result<()> {
	let root = BitMapBackend::new(path, (1000, 500)).into_drawing_area();
	root.fill(&WHITE).map_err(plot_error)?;
	let hours = runs.iter().map(|r| r.len() as u32).max().unwrap_or(1);
	let (low, high) = runs
		.iter()
		.flatten()
		.fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.base_price), hi.max(p.base_price)));
	let mut chart = ChartBuilder::on(&root)
		.caption(
			"Base price: steady demand at target vs the same and more once a day",
			("sans-serif", 20),
		)
		.margin(10)
		.x_label_area_size(40)
		.y_label_area_size(60)
		.build_cartesian_2d(0..hours, (low * 0.95)..(high * 1.05))
		.map_err(plot_error)?;
	chart.configure_mesh().x_desc("hour").y_desc("base price (EMB)").draw().map_err(plot_error)?;
	for (index, run) in runs.iter().enumerate() {
		let colour = Palette99::pick(index).to_rgba();
		let label = match run.first().map(|p| p.seed) {
			Some(0) => "steady, 1× target".to_string(),
			Some(factor) => format!("once a day, {factor}× target"),
			None => continue,
		};
		chart
			.draw_series(LineSeries::new(run.iter().map(|p| (p.hour, p.base_price)), &colour))
			.map_err(plot_error)?
			.label(label)
			.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
	}
	chart.configure_series_labels().border_style(BLACK).draw().map_err(plot_error)?;
	root.present().map_err(plot_error)?;
	Ok(())
}
