//! Types and rules of liancha: entities, inspectors, items, rule books. No SQL, no HTTP.

pub mod approval;
pub mod attachment;
pub mod audit;
pub mod audit_chain;
pub mod auth;
pub mod calendar;
pub mod check_in;
pub mod check_points;
pub mod cosignature;
pub mod credit_repair;
pub mod credit_status;
pub mod documents;
pub mod figures;
pub mod follow_up;
pub mod industry;
pub mod labels;
pub mod log_proof;
pub mod model;
pub mod numbering;
pub mod org;
pub mod preview;
pub mod record_edit;
pub mod rows;
pub mod search;
pub mod setup_rows;
pub mod sm2_note;
pub mod text;
pub mod transparency;
pub mod upward;
pub mod uscc;
pub mod workflow;

pub use industry::Industry;
pub use labels::{
    Domain, EntityStatus, EntityType, InspectionMethod, InspectorStatus, ItemCategory, RiskClass,
};
pub use model::{Department, Entity, Inspector, Item, JointItemList, RuleBook, Township};
pub use uscc::Uscc;
