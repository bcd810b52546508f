//! `bcconn callback-url`: the URL to paste into the app's callback fields.

use anyhow::Result;
use clap::Args;

use crate::connect::iclients::DEFAULT_CALLBACK_URL;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::ui;

#[derive(Debug, Args)]
pub struct CallbackUrlArgs {
    /// The iClient whose callback URL to print (default: the only one, or the default URL)
    #[arg(long, value_name = "NAME")]
    pub iclient: Option<String>,
}

pub fn run(ctx: &Context, args: CallbackUrlArgs) -> Result<ExitStatus> {
    let records = ctx.records.load()?;
    let url = match &args.iclient {
        Some(name) => records.require_iclient(name)?.callback_url.clone(),
        None => match records.iclients()? {
            [] => DEFAULT_CALLBACK_URL.to_string(),
            [only] => only.callback_url.clone(),
            many => {
                let mut urls: Vec<&str> = many.iter().map(|c| c.callback_url.as_str()).collect();
                urls.dedup();
                if urls.len() == 1 {
                    urls[0].to_string()
                } else {
                    let names: Vec<&str> = many.iter().map(|c| c.name.as_str()).collect();
                    return Err(usage("your iClients have different callback URLs")
                        .hint(format!("name one with --iclient ({})", names.join(", ")))
                        .into());
                }
            }
        },
    };
    ui::out(&format!("{url}\n"))?;
    ctx.ui.say(
        "Paste this URL into the Auth, Load and Uninstall callback fields of your app \
         (devtools.bigcommerce.com › My Apps › Edit App › Technical).",
    );
    Ok(ExitStatus::Success)
}
