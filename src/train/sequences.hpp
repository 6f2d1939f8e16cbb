#pragma once
// What the built-in trainer trains on: each conversation of the frozen datasets tokenized under
// the model's chat template, with a mask of its answer tokens (the assistant's turns, their end of
// turn and EOS), and cut into one row of `context` tokens. Only answer tokens carry a loss weight:
// the prompt (a batch of tweets, the instructions) and the padding never train.
#include <llama.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "llm/backend.hpp"
#include "util/result.hpp"

struct common_chat_templates;

namespace knowthy::train {

struct Conversation {
  std::vector<llama_token> tokens;
  std::vector<std::uint8_t> answer;  // 1 where tokens[i] belongs to an assistant turn
};

// One datapoint: `context` inputs, each one's next token as its label, and a weight per label
// (1 where the label is an answer token, 0 elsewhere). A conversation longer than the row keeps its
// end (the answer and the prompt just before it); a shorter one is padded with weight 0.
struct Row {
  std::vector<llama_token> tokens, labels;
  std::vector<float> weights;
  std::int64_t answer_tokens = 0;  // labels with a weight
  bool truncated = false;
};

struct Pair {
  Row chosen, rejected;
};

// Renders `messages` (the last one or more from the assistant) and marks each assistant turn's
// tokens. Throws what the chat template throws.
Conversation tokenize_conversation(const common_chat_templates* templates, const llama_vocab* vocab,
                                   std::span<const llm::Message> messages);

Row make_row(const Conversation& c, int context, llama_token pad);

struct TrainData {
  std::vector<Row> rows;    // sft: the chosen conversations and the SFT examples
  std::vector<Pair> pairs;  // the DPO pairs
  std::int64_t truncated = 0;
};

// The rows of a DPO file (prompt + chosen, and the pairs) and of an SFT file (messages). A line
// that is not a conversation is skipped; a template that fails is an error naming the file.
Status read_dpo_file(const std::filesystem::path& path, const common_chat_templates* templates,
                     const llama_vocab* vocab, int context, TrainData& out);
Status read_sft_file(const std::filesystem::path& path, const common_chat_templates* templates,
                     const llama_vocab* vocab, int context, TrainData& out);

}  // namespace knowthy::train
