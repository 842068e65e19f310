//! The price catalog: what an instance type of a cloud (or of any provider a team names) is and
//! costs an hour, and the CSV that carries it in and out of Vigil.
//!
//! Every price is in US dollars an hour and carries the date it was published (or read, when its
//! source gives no date) and its source: a URL or a short citation, or the word `illustrative`
//! when no source was found for it. A catalog in CSV has a header row of [`COLUMNS`], in that
//! order, and one instance type a row; [`parse_csv`] checks every row before any is taken and
//! names the line, the column and what is wrong with the first bad one. [`to_csv`] writes the
//! same format, so an export imports again unchanged.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, VigilError};

/// The catalog Vigil ships, seeded once into a new database.
pub const DEFAULT_CATALOG: &str = include_str!("../../data/price-catalog.csv");

/// The source of a price that no published source was found for.
pub const ILLUSTRATIVE: &str = "illustrative";

/// The header of a catalog in CSV, in order.
pub const COLUMNS: [&str; 16] = [
    "provider",
    "region",
    "name",
    "vcpu",
    "memory_gib",
    "gpu_type",
    "gpu_count",
    "on_demand_hourly",
    "on_demand_date",
    "on_demand_source",
    "spot_hourly",
    "spot_date",
    "spot_source",
    "reserved_hourly",
    "reserved_date",
    "reserved_source",
];

/// One price of an instance type: US dollars an hour, when, and from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Price {
    pub hourly: f64,
    /// When the source published the price, or when it was read if the source gives no date.
    pub date: NaiveDate,
    /// A URL or a short citation, or [`ILLUSTRATIVE`].
    pub source: String,
}

impl Price {
    /// Whether no published source backs this price.
    pub fn is_illustrative(&self) -> bool {
        self.source == ILLUSTRATIVE
    }
}

/// An instance type and its prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct InstanceType {
    /// `aws`, `gcp`, `azure`, or any lowercase name.
    pub provider: String,
    pub region: String,
    /// The provider's own name for it, e.g. `p3.16xlarge`.
    pub name: String,
    pub vcpu: u32,
    pub memory_gib: f64,
    pub gpu_type: Option<String>,
    pub gpu_count: u32,
    pub on_demand: Price,
    pub spot: Option<Price>,
    /// The reserved or committed-use price, where the provider publishes one.
    pub reserved: Option<Price>,
}

impl InstanceType {
    /// The key a catalog holds one of: provider, region, name.
    pub fn key(&self) -> (&str, &str, &str) {
        (&self.provider, &self.region, &self.name)
    }
}

/// Reads a catalog in CSV: a header row of [`COLUMNS`], then one instance type a row. Every row
/// is checked; the first bad one fails the whole text, naming its line, its column and what is
/// wrong. The same instance type twice is refused too.
pub fn parse_csv(text: &str) -> Result<Vec<InstanceType>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(header) => header.map_err(|err| unreadable(1, &err))?,
        None => return Err(VigilError::invalid("file", format!("The catalog is empty. {}", header_hint()))),
    };
    check_header(&header)?;
    let mut types = Vec::new();
    let mut lines: HashMap<(String, String, String), u64> = HashMap::new();
    for record in records {
        let record = record.map_err(|err| unreadable(err.position().map_or(0, |p| p.line()), &err))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != COLUMNS.len() {
            return Err(VigilError::invalid(
                "file",
                format!(
                    "line {line}: the row has {} cells where the header has {}. Give every column, empty where \
                     there is nothing to say.",
                    record.len(),
                    COLUMNS.len()
                ),
            ));
        }
        let row = parse_row(line, &record)?;
        let key = (row.provider.clone(), row.region.clone(), row.name.clone());
        if let Some(first) = lines.insert(key, line) {
            return Err(VigilError::invalid(
                "name",
                format!(
                    "line {line}: {} {} {} is already on line {first}. Give each instance type once.",
                    row.provider, row.region, row.name
                ),
            ));
        }
        types.push(row);
    }
    Ok(types)
}

/// Writes `types` as CSV with the header row [`COLUMNS`]; [`parse_csv`] reads it back unchanged.
pub fn to_csv(types: &[InstanceType]) -> crate::Result<String> {
    let failed =
        |err: &dyn std::fmt::Display| crate::VigilError::Internal(format!("writing the catalog as CSV: {err}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let price = |price: &Option<Price>| match price {
        Some(price) => [price.hourly.to_string(), price.date.to_string(), price.source.clone()],
        None => Default::default(),
    };
    writer.write_record(COLUMNS).map_err(|err| failed(&err))?;
    for t in types {
        let mut row = vec![
            t.provider.clone(),
            t.region.clone(),
            t.name.clone(),
            t.vcpu.to_string(),
            t.memory_gib.to_string(),
            t.gpu_type.clone().unwrap_or_default(),
            t.gpu_count.to_string(),
        ];
        row.extend(price(&Some(t.on_demand.clone())));
        row.extend(price(&t.spot));
        row.extend(price(&t.reserved));
        writer.write_record(&row).map_err(|err| failed(&err))?;
    }
    let bytes = writer.into_inner().map_err(|err| failed(&err))?;
    String::from_utf8(bytes).map_err(|err| failed(&err))
}

fn header_hint() -> String {
    format!("Its first line must be the header: {}.", COLUMNS.join(","))
}

fn unreadable(line: u64, err: &csv::Error) -> VigilError {
    let what = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_owned(),
        other => format!("the row is not CSV ({other:?})"),
    };
    VigilError::invalid("file", format!("line {line}: {what}."))
}

fn check_header(header: &csv::StringRecord) -> Result<()> {
    let given: Vec<&str> = header.iter().map(str::trim).collect();
    if given == COLUMNS {
        return Ok(());
    }
    let first_wrong =
        COLUMNS.iter().zip(given.iter().chain(std::iter::repeat(&""))).position(|(want, got)| want != got);
    let detail = match first_wrong {
        Some(i) if i < given.len() => format!("column {} is '{}' where '{}' belongs", i + 1, given[i], COLUMNS[i]),
        Some(i) => format!("column {} ('{}') is missing", i + 1, COLUMNS[i]),
        None => format!("it has {} columns where the catalog has {}", given.len(), COLUMNS.len()),
    };
    Err(VigilError::invalid("file", format!("line 1: {detail}. {}", header_hint())))
}

/// Checks an instance type as the catalog holds it, whether it came from a row of a CSV file or
/// from a person's form: each name in the provider's own spelling, at least one virtual CPU and
/// some memory, a GPU type exactly when there are GPUs, and every price at or above zero with
/// its source. Returns it with its names trimmed. The error names the column (its field) and
/// what to give.
pub fn check(t: InstanceType) -> Result<InstanceType> {
    let provider = t.provider.trim();
    if provider.is_empty()
        || !provider.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(VigilError::invalid(
            COLUMNS[0],
            format!("provider '{provider}' is not a provider's name: give it in lowercase, such as aws, gcp or azure."),
        ));
    }
    let region = t.region.trim();
    if region.is_empty() || region.contains(char::is_whitespace) {
        return Err(VigilError::invalid(
            COLUMNS[1],
            format!("region '{region}' is not a region: give the provider's name for it, such as us-east-1."),
        ));
    }
    let name = t.name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(VigilError::invalid(
            COLUMNS[2],
            format!("name '{name}' is not an instance type: give the provider's name for it, such as p3.16xlarge."),
        ));
    }
    if t.vcpu == 0 {
        return Err(not_a_vcpu_count("0"));
    }
    if !(t.memory_gib.is_finite() && t.memory_gib > 0.0) {
        return Err(not_memory(&t.memory_gib.to_string()));
    }
    let gpu_type = t.gpu_type.as_deref().map(str::trim).filter(|gpu| !gpu.is_empty()).map(str::to_owned);
    match (&gpu_type, t.gpu_count) {
        (None, count) if count > 0 => {
            return Err(VigilError::invalid(
                COLUMNS[5],
                format!("gpu_type is empty but gpu_count is {count}: name the GPU, such as NVIDIA V100."),
            ))
        }
        (Some(gpu), 0) => {
            return Err(VigilError::invalid(
                COLUMNS[6],
                format!("gpu_count is 0 but gpu_type is '{gpu}': give how many GPUs it has."),
            ));
        }
        _ => {}
    }
    Ok(InstanceType {
        provider: provider.to_owned(),
        region: region.to_owned(),
        name: name.to_owned(),
        gpu_type,
        on_demand: check_price(t.on_demand, 7)?,
        spot: t.spot.map(|price| check_price(price, 10)).transpose()?,
        reserved: t.reserved.map(|price| check_price(price, 13)).transpose()?,
        ..t
    })
}

/// Checks the price whose hourly figure is in column `first`.
fn check_price(price: Price, first: usize) -> Result<Price> {
    if !(price.hourly.is_finite() && price.hourly >= 0.0) {
        return Err(not_a_price(first, &price.hourly.to_string()));
    }
    let source = price.source.trim();
    if source.is_empty() {
        return Err(VigilError::invalid(
            COLUMNS[first + 2],
            format!(
                "{} is empty: give where the price comes from (a URL or a short citation), or write {ILLUSTRATIVE} \
                 when it has no source.",
                COLUMNS[first + 2]
            ),
        ));
    }
    Ok(Price { source: source.to_owned(), ..price })
}

fn not_a_vcpu_count(given: &str) -> VigilError {
    VigilError::invalid(COLUMNS[3], format!("vcpu '{given}' is not a count of virtual CPUs, such as 64."))
}

fn not_memory(given: &str) -> VigilError {
    VigilError::invalid(COLUMNS[4], format!("memory_gib '{given}' is not an amount of memory in GiB, such as 488."))
}

fn not_a_price(column: usize, given: &str) -> VigilError {
    VigilError::invalid(
        COLUMNS[column],
        format!("{} '{given}' is not a price in dollars an hour, such as 24.48.", COLUMNS[column]),
    )
}

/// `err` with the line of the file it is about in front of its message.
fn at_line(line: u64, err: VigilError) -> VigilError {
    match err {
        VigilError::InvalidInput { field, message } => VigilError::invalid(field, format!("line {line}: {message}")),
        other => other,
    }
}

/// One data row: its cells read as numbers and dates, then [`check`]ed.
fn parse_row(line: u64, record: &csv::StringRecord) -> Result<InstanceType> {
    read_row(record).and_then(check).map_err(|err| at_line(line, err))
}

/// The cells of one data row read into an instance type, unchecked beyond what reading needs.
fn read_row(record: &csv::StringRecord) -> Result<InstanceType> {
    let cell = |i: usize| record.get(i).unwrap_or("").trim();
    let vcpu = cell(3).parse::<u32>().map_err(|_| not_a_vcpu_count(cell(3)))?;
    let memory_gib = cell(4).parse::<f64>().map_err(|_| not_memory(cell(4)))?;
    let gpu_count = cell(6).parse::<u32>().map_err(|_| {
        VigilError::invalid(
            COLUMNS[6],
            format!("gpu_count '{}' is not a count of GPUs: give 0 when there are none.", cell(6)),
        )
    })?;
    let on_demand = price(record, 7)?.ok_or_else(|| {
        VigilError::invalid(
            COLUMNS[7],
            "on_demand_hourly is empty: every instance type needs its on-demand price, such as 24.48.",
        )
    })?;
    Ok(InstanceType {
        provider: cell(0).to_owned(),
        region: cell(1).to_owned(),
        name: cell(2).to_owned(),
        vcpu,
        memory_gib,
        gpu_type: Some(cell(5).to_owned()),
        gpu_count,
        on_demand,
        spot: price(record, 10)?,
        reserved: price(record, 13)?,
    })
}

/// The price in columns `first` (hourly), `first + 1` (date) and `first + 2` (source); None when
/// all three are empty.
fn price(record: &csv::StringRecord, first: usize) -> Result<Option<Price>> {
    let cell = |i: usize| record.get(i).unwrap_or("").trim();
    let bad = |column: usize, message: String| VigilError::invalid(COLUMNS[column], message);
    let (hourly, date, source) = (cell(first), cell(first + 1), cell(first + 2));
    if hourly.is_empty() {
        if let Some(offset) = [date, source].iter().position(|cell| !cell.is_empty()) {
            return Err(bad(
                first + 1 + offset,
                format!(
                    "{} is given but {} is empty: give the price too, or neither.",
                    COLUMNS[first + 1 + offset],
                    COLUMNS[first]
                ),
            ));
        }
        return Ok(None);
    }
    let hourly = hourly.parse::<f64>().map_err(|_| not_a_price(first, hourly))?;
    let date = match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(parsed) if date.len() == 10 => parsed,
        _ => {
            return Err(bad(
                first + 1,
                format!(
                    "{} '{date}' is not a date: give the day the price was published or read as YYYY-MM-DD, such as \
                     2026-06-17.",
                    COLUMNS[first + 1]
                ),
            ))
        }
    };
    Ok(Some(Price { hourly, date, source: source.to_owned() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "provider,region,name,vcpu,memory_gib,gpu_type,gpu_count,on_demand_hourly,on_demand_date,\
                          on_demand_source,spot_hourly,spot_date,spot_source,reserved_hourly,reserved_date,reserved_source";

    fn catalog(rows: &[&str]) -> String {
        std::iter::once(HEADER).chain(rows.iter().copied()).map(|row| format!("{row}\n")).collect()
    }

    fn message(err: VigilError) -> (String, String) {
        match err {
            VigilError::InvalidInput { field, message } => (field.to_owned(), message),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_good_row_reads_with_its_prices_dates_and_sources() {
        let text = catalog(&[
            "aws,us-east-1,p3.16xlarge,64,488,NVIDIA V100,8,24.48,2026-12-03,illustrative,7.3,2026-12-01,\
             \"AWS Spot history, us-east-1a\",15.91,2026-11-30,https://example.org/ri",
            "gcp,us-central1,e2-standard-4,4,16,,0,0.134012,2026-12-03,https://example.org/gcp,,,,,,",
        ]);
        let types = parse_csv(&text).unwrap();
        assert_eq!(types.len(), 2);
        let p3 = &types[0];
        assert_eq!(p3.key(), ("aws", "us-east-1", "p3.16xlarge"));
        assert_eq!((p3.vcpu, p3.memory_gib, p3.gpu_type.as_deref(), p3.gpu_count), (64, 488.0, Some("NVIDIA V100"), 8));
        assert_eq!(p3.on_demand.hourly, 24.48);
        assert!(p3.on_demand.is_illustrative());
        let spot = p3.spot.as_ref().unwrap();
        assert_eq!((spot.hourly, spot.source.as_str()), (7.3, "AWS Spot history, us-east-1a"));
        assert_eq!(spot.date, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(p3.reserved.as_ref().unwrap().hourly, 15.91);
        let e2 = &types[1];
        assert_eq!((e2.gpu_type.as_ref(), e2.gpu_count, e2.spot.as_ref(), e2.reserved.as_ref()), (None, 0, None, None));
        assert!(!e2.on_demand.is_illustrative());
    }

    #[test]
    fn a_malformed_row_names_its_line_its_column_and_what_to_give() {
        let good = "aws,us-east-1,m5.xlarge,4,16,,0,0.192,2026-12-03,illustrative,,,,,,";
        let cases = [
            (
                "aws,us-east-1,x,4,16,,0,abc,2026-12-03,illustrative,,,,,,",
                "on_demand_hourly",
                "'abc' is not a price in dollars an hour, such as 24.48",
            ),
            ("aws,us-east-1,x,4,16,,0,-1,2026-12-03,illustrative,,,,,,", "on_demand_hourly", "'-1' is not a price"),
            ("aws,us-east-1,x,4,16,,0,,,,,,,,,", "on_demand_hourly", "on_demand_hourly is empty"),
            ("aws,us-east-1,x,4,16,,0,1,2026-13-03,illustrative,,,,,,", "on_demand_date", "'2026-13-03' is not a date"),
            ("aws,us-east-1,x,4,16,,0,1,3 Dec 2026,illustrative,,,,,,", "on_demand_date", "YYYY-MM-DD"),
            ("aws,us-east-1,x,4,16,,0,1,2026-12-03,,,,,,,", "on_demand_source", "write illustrative"),
            ("AWS,us-east-1,x,4,16,,0,1,2026-12-03,illustrative,,,,,,", "provider", "in lowercase"),
            ("aws,us-east-1,x,0,16,,0,1,2026-12-03,illustrative,,,,,,", "vcpu", "'0' is not a count of virtual CPUs"),
            ("aws,us-east-1,x,4,lots,,0,1,2026-12-03,illustrative,,,,,,", "memory_gib", "'lots' is not an amount"),
            ("aws,us-east-1,x,4,16,,2,1,2026-12-03,illustrative,,,,,,", "gpu_type", "name the GPU"),
            ("aws,us-east-1,x,4,16,NVIDIA T4,0,1,2026-12-03,illustrative,,,,,,", "gpu_count", "how many GPUs"),
            ("aws,us-east-1,x,4,16,,0,1,2026-12-03,illustrative,,2026-12-03,,,,", "spot_date", "give the price too"),
            (
                "aws,us-east-1,x,4,16,,0,1,2026-12-03,illustrative,0.5,2026-12-03,,,,",
                "spot_source",
                "spot_source is empty",
            ),
            ("aws,us-east-1,x,4,16,,0,1,2026-12-03,illustrative,,,,1,2026-12-03", "file", "the row has 15 cells"),
        ];
        for (row, field, words) in cases {
            let text = catalog(&[good, good.replace("m5.xlarge", "m5.2xlarge").as_str(), row]);
            let (got_field, got) = message(parse_csv(&text).unwrap_err());
            assert!(got.starts_with("line 4: "), "{row}: {got}");
            assert_eq!(got_field, field, "{row}: {got}");
            assert!(got.contains(words), "{row}: '{got}' lacks '{words}'");
        }
    }

    #[test]
    fn a_wrong_header_a_repeated_type_and_an_empty_file_are_refused() {
        let (_, got) = message(parse_csv("provider,region,size\n").unwrap_err());
        assert!(got.starts_with("line 1: column 3 is 'size' where 'name' belongs"), "{got}");
        let (_, got) = message(parse_csv("").unwrap_err());
        assert!(got.contains("empty"), "{got}");
        let row = "azure,eastus,Standard_D4s_v5,4,16,,0,0.192,2026-12-03,illustrative,,,,,,";
        let (field, got) = message(parse_csv(&catalog(&[row, row])).unwrap_err());
        assert_eq!(field, "name");
        assert!(got.starts_with("line 3: azure eastus Standard_D4s_v5 is already on line 2"), "{got}");
    }

    #[test]
    fn a_catalog_written_out_reads_back_the_same() {
        let types = parse_csv(DEFAULT_CATALOG).unwrap();
        let text = to_csv(&types).unwrap();
        assert_eq!(parse_csv(&text).unwrap(), types);
        assert_eq!(to_csv(&parse_csv(&text).unwrap()).unwrap(), text, "writing is stable");
        let quoted = catalog(&["aws,us-east-1,x,4,16,,0,1.5,2026-12-03,\"AWS price list, 3 Dec 2026\",,,,,,"]);
        assert_eq!(parse_csv(&to_csv(&parse_csv(&quoted).unwrap()).unwrap()).unwrap(), parse_csv(&quoted).unwrap());
    }

    #[test]
    fn the_shipped_catalog_reads_and_holds_the_p3_16xlarge_at_24_48_an_hour() {
        let types = parse_csv(DEFAULT_CATALOG).unwrap();
        assert!((15..=25).contains(&types.len()), "{} rows", types.len());
        for provider in ["aws", "gcp", "azure"] {
            assert!(types.iter().any(|t| t.provider == provider), "no {provider} row");
        }
        let p3 = types.iter().find(|t| t.key() == ("aws", "us-east-1", "p3.16xlarge")).expect("p3.16xlarge");
        assert_eq!((p3.vcpu, p3.memory_gib, p3.gpu_count, p3.gpu_type.as_deref()), (64, 488.0, 8, Some("NVIDIA V100")));
        assert_eq!(p3.on_demand.hourly, 24.48);
    }
}
