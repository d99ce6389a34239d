"""The CPR change extract's record layout, and the codes eventfilter reads.

A municipality's CPR subscription delivers a file a day. It opens with a
start record (000) and closes with an end record (999); between them, for
every person something changed for, the person record (001, always sent) and
the person's current records of the other types. The receiver replaces what
it held and works out itself what changed (`core.snapshots.diff`).

The fields eventfilter reads, by record type, as [from, to) character
positions counted from 0 (the public descriptions of the extract count from
1); every other record type, and every other field, is read past:

    000 start       3–26 sort key, 26–32 task number, 32–40 production date
                    (YYYYMMDD), 40–48 the previous extract's production date
                    (blank for a subscription's first file)
    001 person      3–13 personal number, 13–23 current personal number,
                    23–25 status, 25–37 status date (YYYYMMDDHHMM), 38 sex,
                    39–49 birth date (YYYY-MM-DD)
    002 address     3–13 pnr, 13–17 municipality code, 17–21 road code,
                    21–25 house number, 25–27 floor, 27–31 door,
                    31–35 building number, 69–81 moving-in date (YYYYMMDDHHMM)
    004 protection  3–13 pnr, 13–17 protection type (0001: name and address),
                    17–27 start date, 27–37 end date (YYYY-MM-DD, blank: none)
    005 abroad      3–13 pnr, 13–17 country code, 17–29 departure date (YYYYMMDDHHMM)
    012 civil status 3–13 pnr, 13 code, 14–24 spouse's pnr, 70–82 date (YYYYMMDDHHMM)
    015 parents     3–13 pnr, 13–23 mother's date, 24–34 mother's pnr,
                    79–89 father's date, 90–100 father's pnr
    999 end         3–11 number of records between the start and the end record

The codes the rules need:

- status 01 (resident, with an address), 03 (resident, road code 9900 and
  above: registered without fixed address in the municipality, and paid as
  any resident), 05/07 (resident in Greenland), 20 and 80 (abroad: the
  country from record 005), 90 (dead); 70 (disappeared), 30 (annulled),
  50 (deleted) and 60 (personal number changed) are register statuses the
  rules do not read: an event of that type, decided as unknown (review);
- civil status U unmarried, G married, F divorced, E widowed,
  P registered partnership, O dissolved partnership (divorced),
  L surviving partner (widowed), D dead (a death also arrives this way);
- protection type 0001 in force on the production date.

"""

from __future__ import annotations

SOURCE = "cpr"
ENCODING = "iso-8859-1"
NO_FIXED_ADDRESS_ROAD = 9900  # road codes from here on: registered without fixed address
UNKNOWN_COUNTRY = "ZZ"  # abroad, the country not known (a code not in the table)

RESIDENT = {"01": "DK", "03": "DK", "05": "GL", "07": "GL"}
ABROAD = frozenset({"20", "80"})
DEAD = "90"
# statuses the rules do not read: an event of this type (decided as unknown)
OTHER_STATUS = {
    "70": "disappeared",
    "30": "cpr_number_annulled",
    "50": "cpr_number_deleted",
    "60": "cpr_number_changed",
}
CIVIL_STATUS = {
    "U": "unmarried",
    "G": "married",
    "F": "divorced",
    "E": "widowed",
    "P": "registered_partnership",
    "O": "divorced",
    "L": "widowed",
}
CIVIL_DEAD = "D"
WITH_PARTNER = frozenset({"G", "P"})
NAME_AND_ADDRESS = "0001"

START, PERSON, ADDRESS, PROTECTION, ABROAD_ADDRESS, CIVIL, PARENTS, END = (
    "000",
    "001",
    "002",
    "004",
    "005",
    "012",
    "015",
    "999",
)
# record types whose content is an address or a name: never shown in a dead letter
PRIVATE = frozenset({ADDRESS, ABROAD_ADDRESS, "003", "008", "009"})
