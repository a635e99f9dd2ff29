// The Wallet gRPC service: see wallet_service.h.
#include "ledger/server/wallet_service.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "formats/emvco.h"
#include "formats/wallet_auth.h"
#include "ledger/core/keys.h"
#include "ledger/core/pos.h"
#include "ledger/core/query.h"
#include "ledger/server/account_reads.h"
#include "ledger/server/status_util.h"

namespace wallet {

using ledger::AccountId;
namespace v1 = ledger::v1;

grpc::Status WalletService::Submit(ledger::Command command, const AccountId& payer,
                                   v1::WalletReply* reply) {
  return SubmitWalletCommand(node_, std::move(command), payer, reply);
}

grpc::Status WalletService::Send(grpc::ServerContext*, const v1::WalletRequest* in,
                                 v1::WalletReply* reply) {
  v1::SendRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("Send", *in, &body, &account); !auth.ok()) return auth;
  std::optional<AccountId> id = ledger::Id128::FromBytes(body.transfer_id());
  std::optional<AccountId> to = ledger::Id128::FromBytes(body.to_account_id());
  if (!id || id->IsZero())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "transfer_id: must be 16 bytes, not zero");
  if (!to)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "to_account_id: must be 16 bytes");
  ledger::WalletSend send;
  send.transfer.id = *id;
  send.transfer.debit_account_id = account;
  send.transfer.credit_account_id = *to;
  send.transfer.amount = body.amount();
  send.transfer.code = 1;
  send.nonce = in->nonce();
  send.request_ms =
      in->timestamp_ms();  // Signed, and checked above: the core checks it again when it applies.
  return Submit(std::move(send), account, reply);
}

grpc::Status WalletService::PayMpm(grpc::ServerContext*, const v1::WalletRequest* in,
                                   v1::WalletReply* reply) {
  v1::PayMpmRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("PayMpm", *in, &body, &account); !auth.ok()) return auth;
  absl::StatusOr<merchant::MpmPayload> payload = merchant::ParseMpm(body.payload());
  if (!payload.ok()) {
    // ParseMpm names the payload itself ("payload: only printable ...") or a tag in it ("tag 63:
    // ..."): say which request field it is once, not twice.
    const std::string message(payload.status().message());
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StartsWith(message, "payload: ") ? message : absl::StrCat("payload: ", message));
  }
  ledger::PosPayment payment;
  payment.merchant = *ledger::Id128::FromHex(payload->merchant_account);
  payment.payer = account;
  payment.terminal = payload->terminal_label;
  payment.wallet_nonce = in->nonce();
  payment.request_ms = in->timestamp_ms();
  if (payload->dynamic) {
    if (body.amount() != 0 && body.amount() != payload->amount) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "amount: the shop's code fixes the amount; leave it 0");
    }
    payment.amount = payload->amount;
    payment.payment_id = payload->payment_id;
    // The shop's terminal registered the code (Pos.CreateMpm); the core checks the amount and
    // expiry against that registration, so an edited payload cannot pay less under the shop's
    // payment id.
    if (!ledger::LookupMpmOrder(node_->state(), payment.merchant, payment.payment_id)) {
      reply->set_result(v1::MPM_ORDER_NOT_FOUND);
      return grpc::Status::OK;
    }
  } else {
    if (body.amount() <= 0 || body.amount() > merchant::kAmountMax) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("amount: a static code needs the amount, 1..", merchant::kAmountMax));
    }
    if (body.payment_id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "payment_id: a static code needs the wallet's payment id");
    }
    if (!ledger::ValidPosId(body.payment_id())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("payment_id: 1 to ", ledger::kPosIdLengthMax,
                                       " printable ASCII characters"));
    }
    payment.amount = body.amount();
    payment.payment_id = body.payment_id();
  }
  // The payload says what the shop asks for; the wallet pays in its own asset (the core checks that
  // the shop accepts it, and that a registered code's asset is the wallet's).
  if (std::optional<ledger::Account> wallet = ledger::LookupAccount(node_->state(), account);
      wallet && wallet->asset != payload->asset) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("payload: asks for asset ", payload->asset,
                                     "; this wallet holds asset ", wallet->asset));
  }
  return Submit(std::move(payment), account, reply);
}

grpc::Status WalletService::ApplyTask(grpc::ServerContext*, const v1::WalletRequest* in,
                                      v1::WalletReply* reply) {
  v1::ApplyTaskRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("ApplyTask", *in, &body, &account); !auth.ok())
    return auth;
  std::optional<AccountId> host = ledger::Id128::FromBytes(body.host_account_id());
  if (!host)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "host_account_id: must be 16 bytes");
  return Submit(ledger::ApplyTask{account, *host, body.task_id(), in->nonce(), in->timestamp_ms()},
                account, reply);
}

grpc::Status WalletService::CheckIn(grpc::ServerContext*, const v1::WalletRequest* in,
                                    v1::WalletReply* reply) {
  v1::CheckInRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("CheckIn", *in, &body, &account); !auth.ok())
    return auth;
  std::optional<AccountId> host = ledger::Id128::FromBytes(body.host_account_id());
  if (!host)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "host_account_id: must be 16 bytes");
  return Submit(ledger::CheckIn{account, *host, body.task_id(), body.out(), body.host_signature(),
                                in->nonce(), in->timestamp_ms()},
                account, reply);
}

// The reads below use only the verified signer's id: no body field names an account, so a wallet
// can never read another's data. Verify's read barrier makes them linearizable like the Ledger
// service's.

grpc::Status WalletService::GetAccount(grpc::ServerContext*, const v1::WalletRequest* in,
                                       v1::WalletAccountReply* reply) {
  v1::WalletAccountRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("GetAccount", *in, &body, &account); !auth.ok())
    return auth;
  if (!ledger::ReadAccountWithLots(node_->state(), account, reply->mutable_account())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("account_id: no account ", account.ToHex()));
  }
  return grpc::Status::OK;
}

grpc::Status WalletService::GetHistory(grpc::ServerContext*, const v1::WalletRequest* in,
                                       v1::GetAccountHistoryReply* reply) {
  v1::WalletHistoryRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("GetHistory", *in, &body, &account); !auth.ok())
    return auth;
  const ledger::HistoryQuery query{body.from_timestamp(), body.to_timestamp(), body.limit(),
                                   body.reverse()};
  return ledger::ToGrpcStatus(ledger::ReadHistoryPage(node_->state(), account, query, reply));
}

grpc::Status WalletService::ListStaffOperations(grpc::ServerContext*, const v1::WalletRequest* in,
                                                v1::ListStaffOperationsReply* reply) {
  v1::WalletStaffOperationsRequest body;
  AccountId account;
  if (grpc::Status auth = verifier_.Verify("ListStaffOperations", *in, &body, &account); !auth.ok())
    return auth;
  ledger::ReadStaffOperations(node_->state(), account, body.limit(), reply);
  return grpc::Status::OK;
}

}  // namespace wallet
