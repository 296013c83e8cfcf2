//! clap's names and help for the enums that layers below the CLI define: they derive only
//! strum's traits, and the command line gives them clap's `ValueEnum` here.
use crate::domain::{
    PoolMethod, PoolRuntime, QueueRuntime, QueueVariant, Runtime, ScaleRuntime, SharingWorkload,
    StartMethod,
};
use crate::measure::gil::watch::GilSampling;
use crate::report::Format;
use clap::builder::PossibleValue;

/// The help clap's derive gives a variant: the first paragraph of its documentation, its
/// lines joined, without a final period.
fn help_of(documentation: &str) -> String {
    let paragraph: Vec<&str> = documentation
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    let help = paragraph.join(" ");
    match help.strip_suffix('.') {
        Some(short) if !help.ends_with("..") => short.to_string(),
        _ => help,
    }
}

macro_rules! value_enum {
    ($($enum:ty),* $(,)?) => {$(
        impl clap::ValueEnum for $enum {
            fn value_variants<'a>() -> &'a [Self] {
                <$enum as strum::VariantArray>::VARIANTS
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                let value = PossibleValue::new(<&'static str>::from(*self));
                Some(match strum::EnumMessage::get_documentation(self) {
                    Some(documentation) => value.help(help_of(documentation)),
                    None => value,
                })
            }
        }
    )*};
}

value_enum!(
    Runtime,
    StartMethod,
    ScaleRuntime,
    QueueRuntime,
    QueueVariant,
    PoolRuntime,
    PoolMethod,
    SharingWorkload,
    GilSampling,
    Format,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_the_first_paragraph_without_its_period() {
        assert_eq!(
            help_of("One line.\nand its rest\n\nLater."),
            "One line. and its rest"
        );
        assert_eq!(help_of("Ends in dots.."), "Ends in dots..");
        assert_eq!(help_of("Plain"), "Plain");
    }
}
