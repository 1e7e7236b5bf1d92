// The trainable model (softmax regression on hashed n-grams and rule hits), its file, training, eval.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::classifier {

/// The classes a model is trained on, in this order: a labelled corpus maps every label onto them.
inline constexpr std::string_view kModelClasses[] = {"scam", "spam", "legit"};

/// How a message becomes features. Stored in the model file, so a model always featurises the way
/// it was trained.
struct FeatureSpec {
  /// Default: 17 (131 072 buckets: 1.5 MiB of weights for 3 classes, 2 MiB padded in memory, which
  /// leaves the rules' DFA its cache; 2^18 scored the same in cross-validation). 10..24.
  int hash_bits = 17;
  int char_min = 2;    ///< Default: 2. Shortest character n-gram, 1..char_max.
  int char_max = 5;    ///< Default: 5. Longest character n-gram, char_min..6.
  int word_max = 2;    ///< Default: 2: word unigrams and bigrams. 1..3.
};

/// What the model sees of one message. Views: the caller keeps the text, the extraction and the
/// rule set alive while it is used.
struct ModelInput {
  std::string_view text;
  const core::Extraction* extraction = nullptr;  ///< null: no link, number or e-mail features
  std::vector<std::string_view> rule_ids;        ///< every matching rule of every language
  std::string_view language;                     ///< RuleSet::detect_language(), "" when unsure
};

/// The model input for `text`: every rule of every language that matches (the model learns which
/// hits matter in which language) and the detected language. Thread-safe.
ModelInput model_input(const RuleSet& rules, std::string_view text, const core::Extraction& extraction);

/// Hashed sparse features of one message: bucket indices (< 2^hash_bits) with their values; a
/// bucket may repeat. Reused across calls to avoid allocations.
struct SparseFeatures {
  std::vector<std::uint32_t> index;
  std::vector<float> value;
  void clear() {
    index.clear();
    value.clear();
  }
};

/// Features of `in`: character n-grams (char_min..char_max code points) and word n-grams
/// (1..word_max) of the case-folded text, where links and e-mail addresses become one placeholder
/// and every digit becomes 0; plus one feature per rule hit, the language, and each kind of link,
/// number and flag the extraction found. Each n-gram block is scaled by 1/sqrt(its size), so long
/// and short messages weigh alike. Thread-safe (per-thread scratch buffers); never throws.
void featurize(const ModelInput& in, const FeatureSpec& spec, SparseFeatures& out);

/// A trained model. Immutable after loading; predict() is thread-safe.
class Model {
 public:
  /// Version of the file format this build writes and the only one it reads.
  static constexpr std::uint32_t kFormatVersion = 1;

  /// Reads a model file. Errors: NotFound (no file), IoError, Unsupported (another format version,
  /// or not a model file: the message says which), Corruption (checksum mismatch, truncation, a
  /// value out of range). The message starts with the path.
  static core::Result<std::shared_ptr<const Model>> load(const std::string& path);
  /// Same from bytes; `origin` names them in error messages.
  static core::Result<std::shared_ptr<const Model>> from_bytes(std::string_view bytes,
                                                               std::string_view origin);

  /// The file format: "SMSHMODL", u32 version, header (hash bits, n-gram ranges, classes, name,
  /// evidence weight, description), f32 weights [bucket][class], f32 biases, u64 FNV-1a checksum of
  /// everything before it. Integers and floats little-endian.
  std::string to_bytes() const;
  /// Writes to `path` through a temporary file and a rename: a reader never sees half a model.
  core::Status save(const std::string& path) const;

  /// "lr-" and 8 hex digits of the weights' checksum unless training gave a name: names the model
  /// in reasons and in Verdict::model_version.
  const std::string& name() const;
  const std::vector<std::string>& classes() const;
  /// Index of `label` in classes(), -1 when the model has no such class.
  int class_index(std::string_view label) const;
  const FeatureSpec& spec() const;
  /// How much the model may move the fused score: at probability 1 it counts like a rule of this
  /// weight (classify.hpp). Set at training time, in [0, 1].
  double evidence_weight() const;
  /// What it was trained on (counts, options), for `smishctl eval` and logs.
  const std::string& description() const;

  /// Per-class probabilities in classes() order, summing to 1.
  std::vector<double> predict(const SparseFeatures& features) const;
  /// featurize() then predict(); uses a per-thread buffer.
  std::vector<double> predict(const ModelInput& in) const;

  struct Impl;  // model/model_impl.hpp
  explicit Model(std::unique_ptr<Impl> impl);
  ~Model();

 private:
  std::unique_ptr<Impl> impl_;
};

/// Loads `config.model_file`; a null model (rules only) when it is empty. Errors as Model::load.
core::Result<std::shared_ptr<const Model>> load_configured_model(const ClassifyConfig& config);

// ---- Labelled corpora ----------------------------------------------------------------------------

/// One labelled message. JSONL form: {"id", "text", "label", "category", "lang", "source", "split",
/// "region"}; only "text" and "label" are required.
struct LabelledText {
  std::string id;        ///< "id" or "<file>:<line>"
  std::string text;
  std::string label;     ///< scam, spam or legit (after mapping)
  std::string category;  ///< taxonomy category, "" when the corpus has none
  std::string lang;      ///< ISO 639-1, "" when unknown
  std::string source;    ///< corpus name
  std::string split;     ///< "train", "test" or "" (no split given)
  std::string region;    ///< ISO 3166 region of the reporter, "" = derived from lang
};

/// Reads labelled JSONL. Labels: scam, spam, legit, and the public corpora's ham (legit) and
/// smishing (scam), case-insensitive. Errors name the file and line: unreadable file, a line that
/// is not an object with string "text" and "label", an unknown label.
core::Result<std::vector<LabelledText>> load_labelled_jsonl(const std::string& path);

/// The region extraction uses for a labelled text: `region` if set, else lv→LV, et→EE, lt→LT,
/// ru→RU, ar→OM, en→GB, else "".
std::string region_for(const LabelledText& item);

/// Key for exact de-duplication: case-folded, whitespace runs as one space, trimmed.
std::string dedup_key(std::string_view text);

struct DedupStats {
  std::size_t duplicates = 0;  ///< items dropped
  std::size_t conflicts = 0;   ///< dropped copies whose label differed from the kept one
};
/// Keeps one item per dedup_key, at the position of its first copy. When copies disagree on the
/// label, the last copy's label wins: list the corpus with the finer labels last (UCI, then
/// Mishra–Soni, whose smishing/spam split refines UCI's spam).
std::vector<LabelledText> deduplicate(std::vector<LabelledText> items, DedupStats* stats = nullptr);

// ---- Training ------------------------------------------------------------------------------------

/// Called now and then during long jobs: a stage name, work done, work total.
using ProgressFn = std::function<void(std::string_view stage, std::size_t done, std::size_t total)>;

/// Training options. Defaults were chosen by cross-validation on the training data only
/// (docs/classification.md).
struct TrainOptions {
  FeatureSpec features;
  int epochs = 12;                ///< Default: 12 passes over the data, shuffled each time.
  double learning_rate = 0.4;     ///< Default: 0.4 (AdaGrad base rate).
  double l2 = 1e-5;               ///< Default: 1e-5. L2 penalty per update on the touched weights.
  std::uint64_t seed = 1;         ///< Default: 1. Shuffling; same seed, same model.
  double evidence_weight = 0.8;   ///< Default: 0.8. Stored in the model (Model::evidence_weight).
  /// Default: true. Every source (LabelledText::source) weighs the same in total, so that a few
  /// hundred multilingual messages are not drowned by thousands of English ones.
  bool balance_sources = true;
  std::string name;               ///< Default: "" = "lr-<8 hex>".
};

/// A corpus featurised once, to train and evaluate on many subsets (cross-validation folds).
struct FeaturizedCorpus {
  std::vector<LabelledText> items;
  std::vector<core::Extraction> extractions;  ///< per item, with region_for(item)
  std::vector<SparseFeatures> features;       ///< per item
  std::vector<int> labels;                    ///< per item, index into kModelClasses
  FeatureSpec spec;
};

/// Extracts and featurises every item. Thread: the caller's. Never fails on text content.
FeaturizedCorpus featurize_corpus(std::vector<LabelledText> items, const Extractor& extractor,
                                  const RuleSet& rules, const FeatureSpec& spec,
                                  const ProgressFn& progress = {});

/// Trains on `rows` of `corpus` (all rows when empty). InvalidArgument when the rows hold fewer
/// than two classes or the options are out of range.
core::Result<std::shared_ptr<const Model>> train_model(const FeaturizedCorpus& corpus,
                                                       std::span<const std::size_t> rows,
                                                       const TrainOptions& options,
                                                       const ProgressFn& progress = {});

// ---- Evaluation ----------------------------------------------------------------------------------

/// Counts of (true label, predicted label). Predicted labels may include "unclear".
class ConfusionMatrix {
 public:
  /// Rows: truths in kModelClasses order; columns: the same plus "unclear".
  ConfusionMatrix();
  void add(std::string_view truth, std::string_view predicted);
  void merge(const ConfusionMatrix& other);

  const std::vector<std::string>& truths() const { return truths_; }
  const std::vector<std::string>& predictions() const { return predictions_; }
  std::size_t count(std::string_view truth, std::string_view predicted) const;
  std::size_t total() const;

  struct Scores {
    double precision = 0, recall = 0, f1 = 0;
    std::size_t support = 0;  ///< true members
  };
  /// One class against the rest.
  Scores scores(std::string_view label) const;
  /// Positive: truth in `positives`, predicted in `positives` (any of them counts).
  Scores binary(std::span<const std::string_view> positives) const;
  /// Share of items whose truth and prediction agree on "is it scam".
  double scam_accuracy() const;
  /// Share of true legit items predicted scam.
  double legit_as_scam_rate() const;

 private:
  std::vector<std::string> truths_, predictions_;
  std::vector<std::size_t> counts_;  // truths_.size() x predictions_.size()
};

/// Which items may be split across folds.
enum class FoldGrouping : std::uint8_t {
  Text = 0,      ///< exact duplicates only (dedup_key): near-duplicates may straddle folds
  Campaign = 1,  ///< near-duplicates (one campaign, campaign.hpp) always fall in the same fold
};
std::string_view to_string(FoldGrouping g);

/// Fold number in [0, folds) per item: groups kept together, stratified by label, shuffled by seed.
std::vector<int> assign_folds(const std::vector<LabelledText>& items, int folds, std::uint64_t seed,
                              FoldGrouping grouping);

/// Results of classifying a labelled set: the model alone (argmax) and the fused Classifier
/// (rules + model, its final label).
struct Evaluation {
  ConfusionMatrix model;
  ConfusionMatrix fused;
  bool has_model = false;
};

/// Classifies rows of the corpus with `rules` and `model` (null: rules only) and counts.
Evaluation evaluate(const FeaturizedCorpus& corpus, std::span<const std::size_t> rows,
                    std::shared_ptr<const RuleSet> rules, std::shared_ptr<const Model> model,
                    const ClassifyConfig& config);

/// K-fold cross-validation: for each fold, trains on the others and evaluates on it; the counts
/// are summed. InvalidArgument when folds < 2 or a training fold lacks a class.
core::Result<Evaluation> cross_validate(const FeaturizedCorpus& corpus,
                                        std::shared_ptr<const RuleSet> rules,
                                        const ClassifyConfig& config, const TrainOptions& options,
                                        int folds, FoldGrouping grouping,
                                        const ProgressFn& progress = {});

}  // namespace smish::classifier
