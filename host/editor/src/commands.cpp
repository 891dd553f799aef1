#include "commands.hpp"

namespace ng::editor {

GraphEditCommand::GraphEditCommand(GraphDocument* doc, const QString& label, GraphState before,
                                   GraphState after, std::string merge_key)
    : QUndoCommand(label), doc_(doc), before_(std::move(before)), after_(std::move(after)),
      merge_key_(std::move(merge_key)) {}

void GraphEditCommand::undo() { doc_->restore(before_); }

void GraphEditCommand::redo() { doc_->restore(after_); }

bool GraphEditCommand::mergeWith(const QUndoCommand* other) {
  auto* o = dynamic_cast<const GraphEditCommand*>(other);
  if (!o || o->merge_key_ != merge_key_ || merge_key_.empty()) return false;
  after_ = o->after_;
  return true;
}

}  // namespace ng::editor
