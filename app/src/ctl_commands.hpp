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

}  // namespace smish::app
