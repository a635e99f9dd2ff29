// Every bound the ledger enforces, in one place. A bound that is not here does not exist.
#ifndef LEDGER_CORE_LIMITS_H_
#define LEDGER_CORE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace ledger {

// Items in one client request, and in one batch the core applies (group commit merges requests up
// to this size). 8,190 is TigerBeetle's figure: a batch and its journal entry fit comfortably in
// memory.
inline constexpr int kBatchItemsMax = 8190;

// One amount. 10^14 minor units is a hundred trillion yen (a sixth of Japan's GDP): far above any
// real transfer, far below the point where a batch of kBatchItemsMax amounts could leave the
// balance bound.
inline constexpr int64_t kAmountMax = 100'000'000'000'000;

// |balance|, |debits_pending|, |credits_pending| stay within this, so any single update cannot
// overflow.
inline constexpr int64_t kBalanceMax = int64_t{1} << 62;

// Longest pending timeout: one year.
inline constexpr int64_t kTimeoutSecondsMax = 366LL * 24 * 3600;

// Longest expiry of an asset: ten years.
inline constexpr int64_t kExpirySecondsMax = 3660LL * 24 * 3600;

// Expiry lots one wallet may hold for one asset. Lots with the same (rounded) expiry merge, so with
// the default daily granularity a three-year expiry needs at most ~1,100.
inline constexpr int kLotsPerAccountMax = 2048;

// Expired lots and timed-out pendings processed at the start of one batch. The rest wait for the
// next batch; until then they cannot be spent or posted (see state_machine.h).
inline constexpr int kSweepItemsMax = 8190;

// Account category (merchant sector) length in bytes.
inline constexpr int kCategoryBytesMax = 32;

// Asset code length.
inline constexpr int kAssetCodeBytesMax = 16;

// Largest asset id (ids are 1..kAssetIdMax).
inline constexpr uint32_t kAssetIdMax = 0x7fffffff;

// An asset's scale (decimal places of its minor unit): 10^18 is the largest power of ten an int64
// holds.
inline constexpr uint32_t kAssetScaleMax = 18;

// Account history page size.
inline constexpr int kHistoryPageMax = 8190;
inline constexpr int kHistoryPageDefault = 100;

// Staff operations returned by one ListStaffOperations call (a larger limit reads this many).
inline constexpr int kStaffOperationsPageMax = 1000;
inline constexpr int kStaffOperationsPageDefault = 100;

// History folding (ledger/FORMAT.md, "Account history"): a batch starts by folding the
// recent-history records into per-account segments once this many records or entries are waiting.
// Larger values mean fewer segment keys per entry but more recent records for a history query to
// search, and a longer fold: a fold is one batch's work, which on a Raft replica runs on the loop
// thread and must stay well under the election timeout (262,144 entries took 0.3-0.5 s of CPU and
// up to 1.4 s on a loaded 2-core machine, and cost elections; README "Running a cluster").
inline constexpr uint64_t kHistoryFoldRecords = 4096;
inline constexpr uint64_t kHistoryFoldEntries = 65536;
// Entries per segment: a query decodes whole segments.
inline constexpr size_t kHistorySegmentEntriesMax = 4096;

// Journal entries returned by one GetJournal call (a larger limit is refused; 0 reads the default).
inline constexpr int kJournalPageMax = 1024;
inline constexpr int kJournalPageDefault = 100;

// Cash-out records returned by one ListCashOuts call (a larger limit is refused; 0 reads this
// many).
inline constexpr int kCashOutsPageMax = 100'000;

// How far a signed request's timestamp may be from the ledger's clock (Pos and Wallet envelopes). A
// request older than that is refused before the core sees it, so what the core remembers to refuse
// replays (a card's wrong-PIN attempts) need only be kept for twice this: after that, the replay
// itself is refused. The core checks it again on the batch stamp for commands that carry their
// request's timestamp (RequestMs, ledger/core/journal.h), and forgets their nonces once it has
// passed.
inline constexpr uint64_t kSignedRequestWindowMs = 5 * 60 * 1000;

// Spent request nonces forgotten at the start of one batch, once their window has closed (key 'n',
// ledger/FORMAT.md). A batch spends at most two per command (a payment's wallet nonce and its
// code's), so this keeps up with the rate they are spent; the rest wait for the next batch.
inline constexpr int kNonceSweepItemsMax = 2 * kBatchItemsMax;

// Open WatchAlerts streams: per watcher, and on one node. Each open stream holds a server thread,
// so without a bound one wallet key could open streams until the node had no thread left for
// anything else.
inline constexpr int kWatchStreamsPerWatcherMax = 4;
inline constexpr int kWatchStreamsMax = 64;

// Open Pos.WatchPayment streams (a shop's live view of one payment): per terminal, and on one node
// (each holds a server thread, as WatchAlerts' do); and how long one stream lasts before the server
// ends it (a terminal that still cares opens another; a shop's QR code lives 300 s by default).
inline constexpr int kPaymentWatchesPerTerminalMax = 4;
inline constexpr int kPaymentWatchesMax = 64;
inline constexpr int kPaymentWatchSecondsMax = 300;

// Wrong PINs a custodial card allows before it locks (RegisterCard.attempts_max: 1 to this).
inline constexpr uint32_t kCardPinAttemptsMax = 10;

// Watch-over settings (SetWatchOver): the days without a report that raise an alert (1 to
// kWatchSilentDaysMax), and the baseline window (kWatchBaselineDaysMin to kWatchBaselineDaysMax
// days).
inline constexpr uint32_t kWatchSilentDaysMax = 30;
inline constexpr uint32_t kWatchBaselineDaysMin = 3;
inline constexpr uint32_t kWatchBaselineDaysMax = 60;

// Task rules (SetTaskRules): the longest dispute window of a checked-out day, thirty days.
inline constexpr uint32_t kTaskDisputeHoursMax = 24 * 30;

// Finished tasks one batch's task sweep closes (their end keys); the rest wait for the next batch.
inline constexpr size_t kTaskEndSweepItemsMax = 64;

// ---- Strings and bytes: every string and bytes field of every public request has one of these
// bounds. The services refuse a longer field with INVALID_ARGUMENT naming it
// (ledger/server/field_bounds.h, whose table maps each proto field to its bound); the core's batch
// decoder refuses a command holding a longer one (journal.cc), so a command that bypassed a service
// is never applied. Each bound is at least what the core ever accepted as valid, so no valid
// journaled command exceeds it.

// Ids (accounts, transfers, merchants) are 128 bits.
inline constexpr size_t kIdBytes = 16;
// Ed25519: public keys (wallets, terminals, devices, a task host's device) and signatures.
inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;

// Merchant payment, refund and cash-out ids (PayPay's limit), task ids and points-exchange ids:
// printable ASCII.
inline constexpr size_t kPosIdLengthMax = 64;
// Terminal ids (a terminal key's key_id) and device ids: printable ASCII.
inline constexpr size_t kTerminalIdLengthMax = 32;
inline constexpr size_t kDeviceIdLengthMax = 32;
// Who operated a custodial card at the counter.
inline constexpr size_t kStaffIdLengthMax = 32;
// Custodial cards: the card number (digits, ISO/IEC 7812's shortest and longest) and the PIN
// (digits).
inline constexpr size_t kCardNumberLengthMin = 8;
inline constexpr size_t kCardNumberLengthMax = 19;
inline constexpr size_t kPinLengthMin = 4;
inline constexpr size_t kPinLengthMax = 12;
// What the ledger keeps of a PIN: a random salt and BLAKE2b-256(salt || card || 0 || PIN).
inline constexpr size_t kPinSaltBytes = 16;
inline constexpr size_t kPinProofBytes = 32;
// A step report's random salt and its BLAKE2b-256 commitment (ledger/core/health.h).
inline constexpr size_t kStepSaltBytes = 16;
inline constexpr size_t kStepCommitmentBytes = 32;
// A customer-presented code: "LC1" and base32 of 101 bytes (ledger/core/cpm.h); nothing longer
// decodes.
inline constexpr size_t kCpmTextLengthMax = 165;
// A merchant-presented QR payload (formats/emvco.h) and the fields a terminal puts in one.
inline constexpr size_t kMpmPayloadLengthMax = 512;
inline constexpr size_t kMerchantNameLengthMax = 25;
inline constexpr size_t kMerchantCityLengthMax = 15;
inline constexpr size_t kMerchantCategoryLength = 4;  // An MCC: 4 digits.
// A task's title (UTF-8) and its optional reference to a yen wage paid outside the ledger.
inline constexpr size_t kTaskTitleBytesMax = 128;
inline constexpr size_t kWageReferenceBytesMax = 64;
// Pos.ConfirmDay's action: "confirm", "dispute" or "cancel".
inline constexpr size_t kDayActionLengthMax = 7;
// A campaign's name.
inline constexpr size_t kCampaignNameBytesMax = 64;
// The serialized body of a signed request (Pos, Wallet, Health). The largest body a valid request
// can carry is a PostTaskRequest: a task id, a title, a wage reference, three ids, a key and seven
// numbers, under 450 bytes (the static_assert below adds up the fields).
inline constexpr size_t kSignedBodyBytesMax = 1024;

// ---- Message sizes: gRPC's maximum receive size follows from the bounds above.

// The largest encoded item of a batch request: a Transfer with every field set at its widest,
// outputs included, is 160 bytes; a MerchantProfile with kProfileAccountsMax accounts 167; a
// Card 62. 1 KiB leaves room for fields added later (field_bounds_test measures the largest of each
// kind against it).
inline constexpr size_t kRequestItemBytesMax = 1024;
// What a request holds besides its items: the repeated field's framing, and the largest
// single-message request (a Campaign with kCampaignMerchantsMax merchants, about 1.4 KB) or signed
// envelope (a body of kSignedBodyBytesMax plus an id, a terminal id, a timestamp and a signature,
// about 1.2 KB).
inline constexpr size_t kRequestEnvelopeBytesMax = 64 << 10;
// The largest request any client may send and the server's maximum receive message size: a batch
// request of kBatchItemsMax items of kRequestItemBytesMax each, plus the envelope: 8,452,096 bytes.
// A CreateTransfers of 8,190 transfers with every field set is 1.31 MB, well inside; a 10 MB string
// is refused by gRPC itself (RESOURCE_EXHAUSTED) before any service reads it.
inline constexpr size_t kRequestBytesMax =
    kBatchItemsMax * kRequestItemBytesMax + kRequestEnvelopeBytesMax;

// A GetJournal page stops adding entries once it holds this many bytes (it always holds at least
// one entry), so a page of kJournalPageMax full-batch entries cannot exceed what a client receives.
inline constexpr size_t kJournalPageBytesMax = 32 << 20;
// The largest journal entry: kBatchItemsMax commands, each at most about 5 KB with its outcome and
// the events it made (a card payment with every field at its bound is 417 bytes as journaled, its
// outcome 56, and it may make a fee event and an award or clawback event for each of 32 active
// campaigns, 69 bytes each; a campaign with 64 merchants, the longest command, is about 1.2 KB and
// makes no event), plus kSweepItemsMax sweep events: about 41 MB with every bound at once; 48 MiB
// covers it.
inline constexpr size_t kJournalEntryBytesMax = 48 << 20;
// The largest reply a client accepts (its maximum receive message size): a GetJournal page of
// kJournalPageBytesMax plus the entry that crosses that line. Other replies are smaller: a history
// page of kHistoryPageMax entries is under 0.5 MB, ListCashOuts' 100,000 records under 10 MB.
inline constexpr size_t kReplyBytesMax = kJournalPageBytesMax + kJournalEntryBytesMax;

// The HTTP/JSON gateway (ledger/gateway, ledgerd --http_listen, --http_operator_listen), per
// listener. A request body is at most kRequestBytesMax, as on gRPC (the JSON of a request is larger
// than its protobuf encoding, so nothing that passes this limit exceeds gRPC's); the request line
// and each header line are at most 8,192 bytes (cpp-httplib's CPPHTTPLIB_REQUEST_URI_MAX_LENGTH and
// CPPHTTPLIB_HEADER_MAX_LENGTH, compiled into Debian's library), a request has at most
// kHttpHeadersMax headers.
inline constexpr size_t kHttpBodyBytesMax = kRequestBytesMax;
inline constexpr size_t kHttpHeadersMax = 64;
// Connections served at once (one worker thread each) and accepted connections waiting for a
// worker; beyond both, a connection gets 503 and is closed.
inline constexpr size_t kHttpWorkersMax = 48;
inline constexpr size_t kHttpQueuedConnectionsMax = 256;
// Server-Sent Event streams at once (each holds a worker for its life; 503 beyond), the silence
// after which a stream sends a comment (a client that went away is noticed then), and the longest
// a stream lives (the page reconnects).
inline constexpr int kHttpStreamsMax = 32;
inline constexpr int kHttpStreamHeartbeatSeconds = 15;
inline constexpr int kHttpStreamSecondsMax = 3600;
// API requests (POST /v1/...) per client address: sustained per second and burst;
// 429 with Retry-After beyond. The services' own per-wallet and per-terminal limits apply on top,
// exactly as on gRPC.
inline constexpr double kHttpRequestsPerSecondPerPeer = 50;
inline constexpr double kHttpRequestBurstPerPeer = 100;
// A unary call forwarded by the gateway waits at most this long for its reply (504 beyond).
inline constexpr int kHttpCallSecondsMax = 60;

// Nanoseconds per second on the logical clock.
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

static_assert(kAmountMax < kBalanceMax / kBatchItemsMax,
              "a batch of maximal amounts must not overflow a balance bound");
static_assert(kBalanceMax + kAmountMax < INT64_MAX && -kBalanceMax - kAmountMax > INT64_MIN,
              "checking a bounded balance plus one amount must not itself overflow");
static_assert(kSweepItemsMax >= kBatchItemsMax,
              "sweeps must keep up with the rate pendings are made");
static_assert(kNonceSweepItemsMax >= 2 * kBatchItemsMax,
              "the nonce sweep must keep up with the rate nonces are spent");
static_assert(kTerminalIdLengthMax <= kPosIdLengthMax,
              "a terminal id is a valid Pos id (ValidTerminalId)");
static_assert(kMerchantNameLengthMax < kMpmPayloadLengthMax &&
                  kMerchantCityLengthMax < kMpmPayloadLengthMax &&
                  kPosIdLengthMax < kMpmPayloadLengthMax,
              "a payload holds its fields");
static_assert(kPinLengthMin <= kPinLengthMax);
static_assert(kCardNumberLengthMin <= kCardNumberLengthMax);
static_assert(kWatchBaselineDaysMin <= kWatchBaselineDaysMax);
// The largest signed bodies, field by field (each field: its bytes plus at most 3 bytes of tag and
// length; each number at most 11 bytes with its tag), fit kSignedBodyBytesMax.
static_assert(kPosIdLengthMax + kTaskTitleBytesMax + kWageReferenceBytesMax + 3 * kIdBytes +
                      kEd25519PublicKeyBytes + 7 * 3 + 7 * 11 <=
                  kSignedBodyBytesMax,
              "a PostTaskRequest with every field at its bound fits a signed body");
static_assert(kPosIdLengthMax + kCpmTextLengthMax + 2 * 3 + 11 <= kSignedBodyBytesMax,
              "a CreatePaymentRequest fits a signed body");
static_assert(kPosIdLengthMax + kCardNumberLengthMax + kPinLengthMax + kStaffIdLengthMax + 4 * 3 +
                      11 <=
                  kSignedBodyBytesMax,
              "a CardPaymentRequest fits a signed body");
static_assert(kMpmPayloadLengthMax + kPosIdLengthMax + 2 * 3 + 11 <= kSignedBodyBytesMax,
              "a PayMpmRequest fits a signed body");
static_assert(kSignedBodyBytesMax + kIdBytes + kTerminalIdLengthMax + kEd25519SignatureBytes +
                      4 * 3 + 11 <=
                  kRequestEnvelopeBytesMax,
              "a signed envelope with the largest body fits the envelope allowance");
static_assert(kReplyBytesMax < (size_t{1} << 31), "gRPC takes message sizes as int");
static_assert(kJournalEntryBytesMax >= kBatchItemsMax * (450 + 56 + 65 * 69) + kSweepItemsMax * 69,
              "the journal entry estimate covers a full batch with every event");
static_assert(kHistoryPageDefault <= kHistoryPageMax);
static_assert(kWatchStreamsPerWatcherMax <= kWatchStreamsMax);
static_assert(kPaymentWatchesPerTerminalMax <= kPaymentWatchesMax);
static_assert(kStaffOperationsPageDefault <= kStaffOperationsPageMax);
static_assert(kJournalPageDefault <= kJournalPageMax);

// Watch-over (health.h): watchers a resident may name, and resident-days evaluated per batch.
inline constexpr size_t kWatchersMax = 8;
inline constexpr int kWatchEvaluationsMax = 4096;
// Tasks (tasks.h): days a task may span, slots (visitors) per task, and slot-days in all.
inline constexpr uint32_t kTaskDaysMax = 62;
inline constexpr uint32_t kTaskSlotsMax = 50;
inline constexpr uint32_t kTaskSlotDaysMax = 400;

// ----- Bounds outside the core: the services, the shared formats and the tools -----
// They are enforced at the edge (a service answers INVALID_ARGUMENT or RESOURCE_EXHAUSTED, a parser
// refuses a payload), never by the core, but they live here with the rest so that a bound not in
// this file does not exist.

// EMVCo merchant-presented QR (formats/emvco.h): the amount field (tag 54) holds at most 13 digits.
inline constexpr size_t kMpmAmountDigitsMax = 13;
inline constexpr int64_t kMpmAmountMax = 9'999'999'999'999;
// Health.GetMileage: days in one request (from_day..to_day), and the days read when from_day is 0.
inline constexpr uint32_t kMileageDaysMax = 366;
inline constexpr uint32_t kMileageDaysDefault = 30;
// Health.ReportSteps: step reports per resident (all her devices), sustained, and at once (a phone
// syncing a month of days). The Health service's defaults (ledger/server/health_service.h Options).
inline constexpr double kStepReportsPerSecond = 1;
inline constexpr double kStepReportBurst = 31;
// ledgerctl base-date-report (資金決済法): half of the unused balance above this many yen on a base
// date is deposited.
inline constexpr int64_t kPrepaidDepositThresholdYen = 10'000'000;
// QR images (formats/qr.h): text encoded in one code (well under version 40-M's 2,331 bytes, so a
// phone still reads it), and pixels per module.
inline constexpr size_t kQrTextBytesMax = 1200;
inline constexpr int kQrScaleMax = 32;
// ledgerd --peers: the members of one Raft cluster.
inline constexpr size_t kRaftPeersMax = 9;
// Ledger.Backup: files a caller may say it holds (a RocksDB directory holds a few thousand at
// most), a file name's characters, and the bytes of one streamed chunk.
inline constexpr size_t kBackupFilesMax = 100'000;
inline constexpr size_t kBackupFileNameLengthMax = 64;
inline constexpr size_t kBackupChunkBytes = 1u << 20;
inline constexpr size_t kSha256Bytes = 32;
// An operator's name (ledger/core/operator_name.h): characters.
inline constexpr size_t kOperatorNameLengthMax = 64;
// Raft peer connections (ledger/replication/secure_channel.h): the raft address a connecting peer
// names in its first message, and the plaintext bytes of one encrypted frame (a bigger frame closes
// the connection).
inline constexpr size_t kRaftAddressBytesMax = 255;
inline constexpr size_t kRaftFrameBytesMax = 64 * 1024;
// ledgerd --raft_key_file: the cluster secret, 32 random bytes written as 64 hex digits on one line
// (a trailing newline allowed); a longer file is refused.
inline constexpr size_t kRaftKeyFileBytesMax = 128;
// Named operators in the role table (ledger/core/operators.h), counting those whose roles were
// removed only until they are (a removed operator's record is deleted): a city's staff, with room.
inline constexpr size_t kOperatorsMax = 256;
// A role's name in a request (ledger.v1.OperatorRoles.roles): the longest is "merchant_registrar".
inline constexpr size_t kRoleNameLengthMax = 32;
// Four-eyes proposals (ledger/core/proposals.h): a proposal's lifetime on the ledger's clock (at
// most 7 days; the services' default when a request names none: 24 hours), the encoded commands it
// carries (bytes, and commands), and the pending proposals ListProposals returns.
inline constexpr int64_t kProposalLifetimeSecondsMax = 7LL * 24 * 3600;
inline constexpr int64_t kProposalLifetimeSecondsDefault = 24LL * 3600;
inline constexpr size_t kProposalCommandBytesMax = 64 * 1024;
inline constexpr size_t kProposalCommandsMax = 64;
inline constexpr size_t kProposalListMax = 1000;
// A proposal's request message bytes (Ledger.Propose's `request`: with its envelope within
// kRequestEnvelopeBytesMax) and its method name.
inline constexpr size_t kProposalRequestBytesMax = 60 * 1024;
inline constexpr size_t kProposalMethodLengthMax = 64;
// The issuance threshold ledgerctl `four-eyes enable` and the demo town use when none is given:
// a transfer from an ISSUER account above 1,000,000 minor units needs four eyes.
inline constexpr int64_t kFourEyesIssuanceThresholdDefault = 1'000'000;

static_assert(kMpmAmountMax == 9'999'999'999'999 && kMpmAmountDigitsMax == 13,
              "13 nines: the EMVCo field");
static_assert(kMileageDaysDefault <= kMileageDaysMax);

}  // namespace ledger

#endif  // LEDGER_CORE_LIMITS_H_
