//! What an office above counties reads of them: each county's year side by side.

use futures::{StreamExt, TryStreamExt};
use liancha_domain::auth::Action;
use liancha_domain::org::Division;
use liancha_store::oversight::Figures;

use crate::{App, Context, Result};

/// Counties whose figures are read at once: each is a few queries of its own county,
/// so an office of ten counties waits for about three counties' time, not ten.
const AT_ONCE: usize = 4;

/// One county's year, as the office above it reads it.
#[derive(Debug, Clone)]
pub struct CountyYear {
    pub county: Division,
    /// Active entities in its directory: the denominator of coverage.
    pub population: i64,
    pub figures: Figures,
}

impl App {
    /// Each of `counties` (below the principal's office) with its figures of `year`,
    /// in the order given.
    pub async fn counties_year(
        &self,
        ctx: &Context,
        counties: &[Division],
        year: i32,
    ) -> Result<Vec<CountyYear>> {
        ctx.require(&Action::ReadOversight)?;
        let mut work = Vec::with_capacity(counties.len());
        for c in counties {
            let county = self.county_below(ctx, &c.code)?;
            let now = ctx.now;
            work.push(async move {
                let (population, figures) = county.oversight_totals(year, now).await?;
                Ok::<_, crate::AppError>(CountyYear {
                    county: c.clone(),
                    population,
                    figures,
                })
            });
        }
        futures::stream::iter(work)
            .buffered(AT_ONCE)
            .try_collect()
            .await
    }
}
