//! The dashboard, the domain's front: what the window and `vigil status` read of the fleet's
//! signals — every revision with its latest signals (the fleet overview), one model's signals
//! over a range with what happened meanwhile (the model detail), one signal's series, and each
//! server's resource use.
//!
//! [`queries`] holds the reads themselves; [`overview`] what the engine derives from them per
//! model (roles, traffic split, combined figures, status and the plain-words sentence).

pub mod overview;
pub mod queries;
pub mod roles;

pub use overview::ModelOverview;
pub use queries::{ChartEvent, ChartEventKind, ChartRevision, ModelChart, RevisionSignals, REVISION_SIGNALS};

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::points::{self, Series, ServerResources};
use crate::{revisions, Result};

/// The dashboard's front.
#[derive(Clone)]
pub struct Dashboard {
    context: Context,
}

impl Dashboard {
    pub(crate) fn new(context: Context) -> Dashboard {
        Dashboard { context }
    }

    /// Every model revision discovered on the fleet, with its latest golden signals and the
    /// last hour of its traffic.
    pub async fn revision_signals(&self) -> Result<Vec<RevisionSignals>> {
        queries::revisions(self.context.pool(), Utc::now().timestamp_millis()).await
    }

    /// Every model of the fleet with its revisions' roles and traffic split, its combined rate,
    /// error share and p99, the objectives each revision breaks, its status and its sentence.
    pub async fn model_overviews(&self) -> Result<Vec<ModelOverview>> {
        overview::read(self.context.pool(), Utc::now().timestamp_millis()).await
    }

    /// Model `model` of server `server` from `from` to `to`: every revision's signals at the
    /// resolution that fits the range, its deployments and health changes.
    pub async fn model_chart(
        &self,
        server: &str,
        model: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ModelChart> {
        let range = (from.timestamp_millis(), to.timestamp_millis());
        let now_ms = Utc::now().timestamp_millis();
        let retention = self.context.options().retention;
        queries::model_chart(self.context.pool(), (server, model), range, now_ms, retention).await
    }

    /// What each server uses as a whole (CPU, memory, GPU), as last read.
    pub async fn server_resources(&self) -> Result<Vec<ServerResources>> {
        points::server_latest(self.context.pool()).await
    }

    /// One signal of one revision (server, model, version: "" for the default) from `from` to
    /// `to`, at the resolution that fits the range.
    pub async fn series(
        &self,
        revision: (&str, &str, &str),
        signal: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Series> {
        let mut conn = self.context.pool().acquire().await?;
        let (server_id, revision_id) = revisions::find(&mut conn, revision).await?;
        let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
        let now_ms = Utc::now().timestamp_millis();
        let resolution = points::resolution_for(from_ms, to_ms, now_ms, self.context.options().retention);
        points::series(&mut conn, server_id, revision_id, signal, from_ms, to_ms, resolution).await
    }
}
