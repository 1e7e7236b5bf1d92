// smishctl commands written outside ctl.cpp, declared for its command table.
#pragma once

#include "args.hpp"
#include "ctl_common.hpp"

namespace smish::app {

/// `smishctl train --input FILE [--input FILE ...] --out MODEL [--seed N] [--epochs N]
/// [--evidence-weight W] [--hash-bits N]`: reads labelled JSONL (held-out `"split": "test"` lines
/// are never used), de-duplicates, featurises with the configured rules and writes a model file.
/// Exit: 0 written, 2 usage, unreadable input or write error.
int cmd_train(Ctx& ctx, const Args& args);

/// `smishctl eval --input FILE [--input FILE ...] [--model MODEL | --folds K] [--split test|train]
/// [--group campaign|text] [--seed N]`: per-class precision, recall and F1 with a confusion matrix,
/// for the model alone and for the fused classifier (rules only without a model). With --folds,
/// K-fold cross-validation that trains a model per fold. --json: one JSON object.
/// Exit: 0 done, 2 usage or unreadable input.
int cmd_eval(Ctx& ctx, const Args& args);

/// `smishctl label ID|VALUE scam|spam|legit [--category C] [--note TEXT]`: a report's analyst
/// label (and category), or a decision on a value: scam blocks it, legit allows it, spam revokes it.
int cmd_label(Ctx& ctx, const Args& args);
/// `smishctl allow VALUE [--note TEXT]`: never in any export, whatever the reports say.
int cmd_allow(Ctx& ctx, const Args& args);
/// `smishctl block VALUE [--ttl D] [--note TEXT]`: listed from the next export on (confirmed).
int cmd_block(Ctx& ctx, const Args& args);
/// `smishctl unblock VALUE [--note TEXT]`: clears an analyst's decision; the policy decides again.
int cmd_unblock(Ctx& ctx, const Args& args);
/// `smishctl revoke VALUE --reason TEXT [--ttl D] [--note TEXT]`: out of the exports (for D).
/// All five: through smishd's admin socket when it answers, else on the database directly.
/// Exit: 0 applied or unchanged, 1 no such report or value, 2 usage or failure, 3 refused.
int cmd_revoke(Ctx& ctx, const Args& args);

/// `smishctl audit [--limit N] [--target VALUE] [--verify]`: the last N analyst decisions (who,
/// when, through what, the target, before and after), oldest first; --verify walks the whole log
/// and checks its hash chain. Exit: 0 listed or intact, 1 none or a broken chain (each broken
/// entry named), 2 usage or storage error.
int cmd_audit(Ctx& ctx, const Args& args);

/// `smishctl backup --out DIR`: a consistent RocksDB checkpoint of the whole database in DIR (new),
/// made by smishd through its admin socket while it runs, else on the stopped database.
/// Exit: 0 written, 2 usage or failure.
int cmd_backup(Ctx& ctx, const Args& args);

/// `smishctl forget --reporter NUMBER [--actor NAME]`: erases everything stored about the
/// reporter (app/forget.hpp) through smishd's admin socket, else on the stopped database, and
/// prints the rescan that proves it. Needs the pseudonym key (storage.pseudonym_key_file or its
/// variable). Exit: 0 forgotten, 1 nothing stored, 2 usage, failure or a rescan that still finds it.
int cmd_forget(Ctx& ctx, const Args& args);

}  // namespace smish::app
