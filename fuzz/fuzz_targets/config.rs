//! Fuzzes the configuration: falco.yaml's YAML reading, every key's validation and the `-o`
//! overrides applied to it. The input is the falco.yaml text, then after each NUL byte one
//! `-o` value. Any input must give a configuration or a positioned error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let Some(Ok(text)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let overrides: Vec<String> = parts
        .map(|o| String::from_utf8_lossy(o).into_owned())
        .collect();
    match falco::config::load_str("fuzz.yaml", text, &overrides) {
        Ok(loaded) => {
            // The outputs' part is deserialised and validated as start-up does.
            if let Ok(o) =
                serde_yaml::from_value::<falco_outputs::OutputsConfig>(loaded.config.outputs)
            {
                std::hint::black_box(o.validate().is_ok());
            }
        }
        Err(e) => {
            std::hint::black_box(e.to_string());
        }
    }
});
