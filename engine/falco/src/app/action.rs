//! The one thing a run of `falco` does, chosen once from the parsed command line.

use crate::cli::Cli;
use std::path::PathBuf;

/// What the command line asks for. When it asks for several, the first in this order wins
/// (`--version` over `--support` over `--list` over `-V` over `-L` over `-l` over `--dry-run`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `--version`: print the versions; reads no configuration.
    Version,
    /// `--support`: print version, system, configuration and rules files as JSON.
    Support,
    /// `--list [SOURCE]`: print the fields.
    ListFields {
        /// Only this source's fields (`--list SOURCE`); all with a bare `--list`.
        source: Option<String>,
        /// `-N`: names only.
        names_only: bool,
        /// `--format`, checked when the action runs (after the configuration loads).
        format: Option<String>,
    },
    /// `-V FILE...`: validate rules files, each after the previous ones.
    Validate {
        /// The files, in command-line order.
        paths: Vec<PathBuf>,
    },
    /// `-L`: print the loaded rules with their descriptions.
    ListRules,
    /// `-l NAME`: describe a rule, or else a macro or list.
    Describe {
        /// The rule, macro or list.
        name: String,
    },
    /// `--dry-run`: load the configuration and rules, then exit.
    DryRun,
    /// Run the engine on the configured source.
    Run,
}

impl Action {
    /// The action `cli` asks for.
    pub fn from_cli(cli: &Cli) -> Action {
        if cli.version {
            Action::Version
        } else if cli.support {
            Action::Support
        } else if let Some(source) = &cli.list_fields {
            Action::ListFields {
                source: (!source.is_empty()).then(|| source.clone()),
                names_only: cli.names_only,
                format: cli.format.clone(),
            }
        } else if !cli.validate.is_empty() {
            Action::Validate {
                paths: cli.validate.clone(),
            }
        } else if cli.list_rules {
            Action::ListRules
        } else if let Some(name) = &cli.describe_rule {
            Action::Describe { name: name.clone() }
        } else if cli.dry_run {
            Action::DryRun
        } else {
            Action::Run
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_flag_in_precedence_order_wins() {
        let all = Cli {
            version: true,
            support: true,
            list_fields: Some(String::new()),
            validate: vec!["r.yaml".into()],
            list_rules: true,
            describe_rule: Some("r".into()),
            dry_run: true,
            ..Cli::default()
        };
        let mut cli = all.clone();
        assert_eq!(Action::from_cli(&cli), Action::Version);
        cli.version = false;
        assert_eq!(Action::from_cli(&cli), Action::Support);
        cli.support = false;
        assert_eq!(
            Action::from_cli(&cli),
            Action::ListFields {
                source: None,
                names_only: false,
                format: None
            }
        );
        cli.list_fields = None;
        assert_eq!(
            Action::from_cli(&cli),
            Action::Validate {
                paths: vec!["r.yaml".into()]
            }
        );
        cli.validate.clear();
        assert_eq!(Action::from_cli(&cli), Action::ListRules);
        cli.list_rules = false;
        assert_eq!(
            Action::from_cli(&cli),
            Action::Describe { name: "r".into() }
        );
        cli.describe_rule = None;
        assert_eq!(Action::from_cli(&cli), Action::DryRun);
        cli.dry_run = false;
        assert_eq!(Action::from_cli(&cli), Action::Run);
    }
}
