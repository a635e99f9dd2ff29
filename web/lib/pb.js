// A small protobuf (proto3) writer for the request bodies the web apps sign. The signature covers the
// body bytes as sent (docs/signing.md, Conventions): each body is serialized once here, put in the
// envelope's `body` and in the signed bytes. Fields are written in field-number order and zero values
// are left out, as protobuf's own serializers do. Schemas follow proto/ledger.proto.
import { concat, ascii } from './bytes.js';

// Field types: 's' string, 'b' bytes, 'v' varint (int64, uint64, uint32, bool, enum),
// 'rb' repeated bytes, 'rm:Name' repeated message Name.
export const SCHEMAS = {
  // Pos bodies
  CreatePaymentRequest: [[1, 'payment_id', 's'], [2, 'amount', 'v'], [3, 'cpm', 's']],
  CreateMpmRequest: [[1, 'payment_id', 's'], [2, 'amount', 'v'], [3, 'lifetime_seconds', 'v'],
                     [4, 'merchant_name', 's'], [5, 'merchant_city', 's'], [6, 'merchant_category', 's']],
  PaymentIdRequest: [[1, 'payment_id', 's']],
  RefundPaymentRequest: [[1, 'payment_id', 's'], [2, 'refund_id', 's'], [3, 'amount', 'v']],
  CloseDayRequest: [[1, 'business_day', 'v']],
  CashOutRequest: [[1, 'cashout_id', 's'], [2, 'amount', 'v'], [3, 'member', 'v']],
  CardPaymentRequest: [[1, 'payment_id', 's'], [2, 'amount', 'v'], [3, 'card_number', 's'], [4, 'pin', 's'],
                       [5, 'staff_id', 's']],
  CancelSlotsRequest: [[1, 'task_id', 's'], [2, 'count', 'v']],
  PostTaskRequest: [[1, 'task_id', 's'], [2, 'title', 's'], [3, 'first_day', 'v'], [4, 'last_day', 'v'], [5, 'slots', 'v'],
                    [6, 'per_day', 'v'], [7, 'escrow_account_id', 'b'], [8, 'subsidy_account_id', 'b'],
                    [9, 'subsidy_percent', 'v'], [10, 'hours_per_day', 'v'], [11, 'host_key', 'b'], [12, 'wage_reference', 's']],
  DecideApplicationRequest: [[1, 'task_id', 's'], [2, 'visitor_account_id', 'b'], [3, 'accept', 'v']],
  ConfirmDayRequest: [[1, 'task_id', 's'], [2, 'visitor_account_id', 'b'], [3, 'day', 'v'], [4, 'action', 's']],
  // Wallet and Health bodies
  SendRequest: [[1, 'transfer_id', 'b'], [2, 'to_account_id', 'b'], [3, 'amount', 'v']],
  PayMpmRequest: [[1, 'payload', 's'], [2, 'amount', 'v'], [3, 'payment_id', 's']],
  ApplyTaskRequest: [[1, 'host_account_id', 'b'], [2, 'task_id', 's']],
  CheckInRequest: [[1, 'host_account_id', 'b'], [2, 'task_id', 's'], [3, 'out', 'v'], [4, 'host_signature', 'b']],
  WalletAccountRequest: [],
  WalletHistoryRequest: [[1, 'from_timestamp', 'v'], [2, 'to_timestamp', 'v'], [3, 'limit', 'v'], [4, 'reverse', 'v']],
  WalletStaffOperationsRequest: [[1, 'limit', 'v']],
  RegisterDeviceRequest: [[1, 'device_id', 's'], [2, 'public_key', 'b']],
  RevokeDeviceRequest: [[1, 'device_id', 's']],
  ConsentRequest: [[1, 'purpose', 'v'], [2, 'granted', 'v']],
  ExchangePointsRequest: [[1, 'program', 'v'], [2, 'coin_wallet_id', 'b'], [3, 'points', 'v'], [4, 'exchange_id', 's']],
  EraseStepDataRequest: [],
  MileageRequest: [[1, 'program', 'v'], [2, 'from_day', 'v'], [3, 'to_day', 'v']],
  WatchOverRequest: [[1, 'watcher_ids', 'rb'], [2, 'silent_days', 'v'], [3, 'drop_percent', 'v'],
                     [4, 'baseline_days', 'v'], [5, 'min_baseline_days', 'v']],
  AckAlertRequest: [[1, 'resident_id', 'b'], [2, 'alert', 'v']],
  WatchAlertsRequest: [[1, 'include_acknowledged', 'v']],
  // Operator requests a proposal carries (Ledger.Propose: the method's request message, serialized)
  Transfer: [[1, 'id', 'b'], [2, 'debit_account_id', 'b'], [3, 'credit_account_id', 'b'], [4, 'amount', 'v'],
             [5, 'pending_id', 'b'], [6, 'timeout_seconds', 'v'], [7, 'code', 'v'], [8, 'flags', 'v'], [9, 'user_data', 'v']],
  CreateTransfersRequest: [[1, 'transfers', 'rm:Transfer']],
  SetFourEyesRequest: [[1, 'issuance_threshold', 'v']],
};

function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));  // negative int64 as two's complement (10 bytes)
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return new Uint8Array(out);
}

const tag = (field, wire) => varint((field << 3) | wire);

function lengthDelimited(field, bytes) {
  return concat(tag(field, 2), varint(bytes.length), bytes);
}

// Serializes `fields` (an object keyed by the proto field names, snake_case) as message `name`.
// Unknown keys are refused, so a typo cannot silently drop a field from a signed body.
export function encode(name, fields = {}) {
  const schema = SCHEMAS[name];
  if (!schema) throw new Error(`no schema for ${name}`);
  const known = new Set(schema.map((f) => f[1]));
  for (const key of Object.keys(fields)) {
    if (!known.has(key)) throw new Error(`${name} has no field ${key}`);
  }
  const parts = [];
  for (const [number, key, type] of schema) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (type === 's') {
      if (value !== '') parts.push(lengthDelimited(number, ascii(String(value))));
    } else if (type === 'b') {
      if (value.length > 0) parts.push(lengthDelimited(number, value));
    } else if (type === 'rb') {
      for (const item of value) parts.push(lengthDelimited(number, item));
    } else if (type === 'v') {
      const v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
      if (v !== 0n) parts.push(concat(tag(number, 0), varint(v)));
    } else if (type.startsWith('rm:')) {
      for (const item of value) parts.push(lengthDelimited(number, encode(type.slice(3), item)));
    } else {
      throw new Error(`unknown field type ${type}`);
    }
  }
  return concat(...parts);
}
