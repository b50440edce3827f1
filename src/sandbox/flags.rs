//! `ferry sandbox`'s flags for the emulators: each registered emulator's `Flags`
//! ([`super::Emulator::Flags`]), read into the config it starts with.

use clap::{ArgMatches, Args, Command, FromArgMatches};

use super::EMULATORS;
use super::emulator::Requests;

/// Every registered emulator's flags, as the configs they start the emulators with; flatten it
/// into a command's arguments (`#[command(flatten)]`) and give it to
/// [`super::SandboxBuilder::flags`].
#[derive(Debug, Default)]
pub struct EmulatorFlags {
    pub(super) requests: Requests,
}

impl Args for EmulatorFlags {
    fn augment_args(command: Command) -> Command {
        EMULATORS
            .iter()
            .fold(command, |command, emulator| emulator.flags(command))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl FromArgMatches for EmulatorFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut requests = Requests::default();
        for emulator in EMULATORS {
            emulator.configure(matches, &mut requests)?;
        }
        Ok(EmulatorFlags { requests })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::EmulatorFlags;
    use crate::sandbox::Sandbox;

    /// `ferry sandbox`'s shape: its own `--seed`, then the emulators' flags.
    #[derive(Parser)]
    struct SandboxCommand {
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        emulators: EmulatorFlags,
    }

    fn parse(args: &[&str]) -> Result<SandboxCommand, clap::Error> {
        SandboxCommand::try_parse_from(std::iter::once("sandbox").chain(args.iter().copied()))
    }

    #[test]
    fn the_emulators_flags_make_one_valid_command() {
        SandboxCommand::command().debug_assert();
        let help = SandboxCommand::command().render_long_help().to_string();
        for flag in [
            "--stripe-rate-limit",
            "--webhook",
            "--capsule-people",
            "--business-central-rate-limit",
            "--pronto-rate-limit",
            "--pronto-debtors",
        ] {
            assert!(help.contains(flag), "{flag} missing from\n{help}");
        }
    }

    #[test]
    fn an_emulators_flags_reach_its_config_and_banner() {
        let command = parse(&["--webhook", "http://127.0.0.1:9/hook"]).unwrap();
        let sandbox = Sandbox::builder().flags(command.emulators).build();
        let banner = sandbox.banner("http://127.0.0.1:4010");
        assert!(
            banner.contains(&"Stripe webhooks -> http://127.0.0.1:9/hook".to_string()),
            "{banner:#?}"
        );
    }

    #[test]
    fn a_flag_that_needs_a_seed_is_refused_without_one() {
        let error = parse(&["--capsule-people", "5"]).err().unwrap();
        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert!(parse(&["--seed", "1", "--capsule-people", "5"]).is_ok());
        for flag in ["--pronto-debtors", "--pronto-products", "--pronto-orders"] {
            assert!(parse(&[flag, "5"]).is_err(), "{flag}");
            assert!(parse(&["--seed", "1", flag, "5"]).is_ok(), "{flag}");
        }
        assert!(parse(&["--pronto-rate-limit", "5"]).is_ok());
    }
}
