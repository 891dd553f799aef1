#include "node_item.hpp"

#include <QFontMetricsF>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <algorithm>

#include "theme.hpp"

namespace ng::editor {

namespace {

// The header has two lines: the node's id (what tells ten samplers apart) and, smaller,
// what kind of node it is.
constexpr qreal kHeader = 38, kTitleLine = 21, kRow = 22, kSummaryRow = 17, kPad = 10, kRadius = 7;
constexpr qreal kMinWidth = 170, kMaxWidth = 320;
constexpr int kMaxErrorLines = 4;

QFont title_font() {
  QFont f;
  f.setPointSizeF(9.5);
  f.setBold(true);
  return f;
}
QFont body_font() {
  QFont f;
  f.setPointSizeF(8.5);
  return f;
}
QFont type_font() {
  QFont f;
  f.setPointSizeF(7.5);
  return f;
}
QFont badge_font() {
  QFont f;
  f.setPointSizeF(7.5);
  f.setBold(true);
  return f;
}

QColor badge_color(NodeRunState s) {
  switch (s) {
    case NodeRunState::Queued: return QColor(0x6b, 0x70, 0x78);
    case NodeRunState::Running: return colors::accent;
    case NodeRunState::Cached: return QColor(0x8e, 0x7c, 0xc3);
    case NodeRunState::Done: return colors::ok;
    case NodeRunState::Failed: return colors::error;
    case NodeRunState::Cancelled: return QColor(0x8d, 0x6e, 0x63);
    case NodeRunState::Idle: break;
  }
  return Qt::transparent;
}

}  // namespace

QString run_state_name(NodeRunState state) {
  switch (state) {
    case NodeRunState::Idle: return {};
    case NodeRunState::Queued: return QStringLiteral("queued");
    case NodeRunState::Running: return QStringLiteral("running");
    case NodeRunState::Cached: return QStringLiteral("cached");
    case NodeRunState::Done: return QStringLiteral("done");
    case NodeRunState::Failed: return QStringLiteral("failed");
    case NodeRunState::Cancelled: return QStringLiteral("cancelled");
  }
  return {};
}

NodeItem::NodeItem(NodeLook look) : look_(std::move(look)) {
  setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
  setAcceptHoverEvents(true);
  setZValue(1);
  for (const auto& p : look_.inputs)
    inputs_.push_back(new PortItem(this, PortDirection::Input, p.name, p.type, p.optional, p.description));
  for (const auto& p : look_.outputs)
    outputs_.push_back(new PortItem(this, PortDirection::Output, p.name, p.type, false, p.description));
  QString tip = QStringLiteral("<b>%1</b><br>%2 <span style='color:#9aa0a8'>%3</span>")
                    .arg(look_.id.toHtmlEscaped(), look_.title.toHtmlEscaped(), look_.type_id.toHtmlEscaped());
  if (look_.missing_type)
    tip += QStringLiteral("<br><span style='color:#ef5350'>No loaded plugin provides this node type.</span>");
  else if (!look_.description.isEmpty())
    tip += QStringLiteral("<br>") + look_.description.toHtmlEscaped();
  setToolTip(tip);
  layout();
}

PortItem* NodeItem::input(const QString& name) const {
  for (auto* p : inputs_) if (p->name() == name) return p;
  return nullptr;
}

PortItem* NodeItem::output(const QString& name) const {
  for (auto* p : outputs_) if (p->name() == name) return p;
  return nullptr;
}

void NodeItem::layout() {
  prepareGeometryChange();
  QFontMetricsF title_fm(title_font()), body_fm(body_font()), badge_fm(badge_font()), type_fm(type_font());
  qreal w = title_fm.horizontalAdvance(title()) + 2 * kPad + badge_fm.horizontalAdvance("running 100%") + 16;
  w = std::max(w, type_fm.horizontalAdvance(subtitle()) + 2 * kPad + 4);
  const size_t rows = std::max(inputs_.size(), outputs_.size());
  for (size_t i = 0; i < rows; ++i) {
    qreal in = i < inputs_.size() ? body_fm.horizontalAdvance(inputs_[i]->name()) : 0;
    qreal out = i < outputs_.size() ? body_fm.horizontalAdvance(outputs_[i]->name()) : 0;
    w = std::max(w, in + out + 4 * kPad + 20);
  }
  for (const auto& [name, value] : summary_)
    w = std::max(w, body_fm.horizontalAdvance(name) + body_fm.horizontalAdvance(value) + 3 * kPad + 12);
  width_ = std::clamp(w, kMinWidth, kMaxWidth);

  ports_top_ = kHeader + 4;
  for (size_t i = 0; i < inputs_.size(); ++i) inputs_[i]->setPos(0, ports_top_ + i * kRow + kRow / 2);
  for (size_t i = 0; i < outputs_.size(); ++i) outputs_[i]->setPos(width_, ports_top_ + i * kRow + kRow / 2);
  summary_top_ = ports_top_ + rows * kRow + (rows > 0 && !summary_.isEmpty() ? 6 : 0);
  height_ = summary_top_ + summary_.size() * kSummaryRow + (summary_.isEmpty() && rows == 0 ? 4 : 8);
  note_top_ = height_;
  if (!note_.isEmpty()) height_ += note_rect().height() + 6;
  update();
}

QRectF NodeItem::boundingRect() const {
  qreal extra_below = 0;
  if (!error_.isEmpty()) extra_below = 8 + kMaxErrorLines * QFontMetricsF(body_font()).lineSpacing() + 10;
  return QRectF(-4, -4, width_ + 8, height_ + 8 + extra_below);
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  painter->setRenderHint(QPainter::Antialiasing);
  painter->setRenderHint(QPainter::TextAntialiasing);
  const QRectF card = card_rect();

  // Shadow, body, header.
  painter->setPen(Qt::NoPen);
  painter->setBrush(QColor(0, 0, 0, 70));
  painter->drawRoundedRect(card.translated(0, 3), kRadius, kRadius);
  painter->setBrush(colors::card);
  painter->drawRoundedRect(card, kRadius, kRadius);

  QPainterPath header;
  header.setFillRule(Qt::WindingFill);
  header.addRoundedRect(QRectF(0, 0, width_, kHeader), kRadius, kRadius);
  header.addRect(QRectF(0, kHeader - kRadius, width_, kRadius));
  QColor head = look_.missing_type ? QColor(0x5a, 0x2a, 0x2a) : category_color(look_.category);
  painter->setBrush(head);
  painter->drawPath(header);

  // Title and badge.
  painter->setFont(title_font());
  painter->setPen(colors::text);
  QString badge = run_state_name(state_);
  if (state_ == NodeRunState::Running && progress_ >= 0)
    badge += QStringLiteral(" %1%").arg(int(progress_ * 100));
  QFontMetricsF bfm(badge_font());
  const qreal badge_w = badge.isEmpty() ? 0 : bfm.horizontalAdvance(badge) + 12;
  QRectF title_rect(kPad, 3, width_ - 2 * kPad - badge_w - 4, kTitleLine - 3);
  painter->drawText(title_rect, Qt::AlignVCenter | Qt::AlignLeft,
                    QFontMetricsF(title_font()).elidedText(title(), Qt::ElideRight, title_rect.width()));
  painter->setFont(type_font());
  painter->setPen(QColor(255, 255, 255, 165));
  QRectF type_rect(kPad, kTitleLine, width_ - 2 * kPad, kHeader - kTitleLine - 3);
  painter->drawText(type_rect, Qt::AlignVCenter | Qt::AlignLeft,
                    QFontMetricsF(type_font()).elidedText(subtitle(), Qt::ElideRight, type_rect.width()));
  if (!badge.isEmpty()) {
    QRectF pill(width_ - kPad - badge_w, 3 + (kTitleLine - 3 - 16) / 2, badge_w, 16);
    painter->setPen(Qt::NoPen);
    painter->setBrush(badge_color(state_));
    painter->drawRoundedRect(pill, 8, 8);
    painter->setFont(badge_font());
    painter->setPen(Qt::white);
    painter->drawText(pill, Qt::AlignCenter, badge);
  }

  // Port labels.
  painter->setFont(body_font());
  QFontMetricsF fm(body_font());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const auto* p = inputs_[i];
    painter->setPen(p->optional() ? colors::text_dim : colors::text);
    QRectF r(kPad + 4, ports_top_ + i * kRow, width_ / 2 - kPad, kRow);
    painter->drawText(r, Qt::AlignVCenter | Qt::AlignLeft, fm.elidedText(p->name(), Qt::ElideRight, r.width()));
  }
  painter->setPen(colors::text);
  for (size_t i = 0; i < outputs_.size(); ++i) {
    QRectF r(width_ / 2, ports_top_ + i * kRow, width_ / 2 - kPad - 4, kRow);
    painter->drawText(r, Qt::AlignVCenter | Qt::AlignRight, fm.elidedText(outputs_[i]->name(), Qt::ElideRight, r.width()));
  }

  // Parameter summary: a hairline, then name (dim) and value (bright) per line.
  if (!summary_.isEmpty()) {
    if (!inputs_.empty() || !outputs_.empty()) {
      painter->setPen(QPen(colors::card_border, 1));
      painter->drawLine(QPointF(kPad, summary_top_ - 3), QPointF(width_ - kPad, summary_top_ - 3));
    }
    for (int i = 0; i < summary_.size(); ++i) {
      QRectF r(kPad, summary_top_ + i * kSummaryRow, width_ - 2 * kPad, kSummaryRow);
      const qreal name_w = fm.horizontalAdvance(summary_[i].first) + 8;
      painter->setPen(colors::text_dim);
      painter->drawText(r, Qt::AlignVCenter | Qt::AlignLeft, summary_[i].first);
      painter->setPen(colors::text);
      painter->drawText(r.adjusted(name_w, 0, 0, 0), Qt::AlignVCenter | Qt::AlignRight,
                        fm.elidedText(summary_[i].second, Qt::ElideMiddle, r.width() - name_w));
    }
  }

  // The node's own note (what a loader found), dim and wrapped, at the bottom of the card.
  if (!note_.isEmpty()) {
    painter->setPen(QPen(colors::card_border, 1));
    painter->drawLine(QPointF(kPad, note_top_ - 2), QPointF(width_ - kPad, note_top_ - 2));
    painter->setPen(colors::text_dim);
    painter->drawText(note_rect(), Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, note_);
  }

  // Progress strip along the bottom edge while running.
  if (state_ == NodeRunState::Running && progress_ >= 0) {
    painter->setPen(Qt::NoPen);
    painter->setBrush(colors::accent);
    painter->drawRoundedRect(QRectF(2, height_ - 4, (width_ - 4) * std::clamp(progress_, 0.0, 1.0), 3), 1.5, 1.5);
  }

  // Outline: failed > selected > validation problem > plain.
  QPen outline(colors::card_border, 1);
  if (state_ == NodeRunState::Failed) outline = QPen(colors::error, 2);
  else if (isSelected()) outline = QPen(colors::accent, 2);
  else if (!problem_.isEmpty() || look_.missing_type) outline = QPen(colors::warning, 1.5);
  else if (state_ == NodeRunState::Running) outline = QPen(colors::accent.darker(130), 1.5);
  painter->setPen(outline);
  painter->setBrush(Qt::NoBrush);
  painter->drawRoundedRect(card, kRadius, kRadius);
  if (isSelected() && state_ == NodeRunState::Failed) {
    painter->setPen(QPen(colors::accent, 1, Qt::DashLine));
    painter->drawRoundedRect(card.adjusted(-3, -3, 3, 3), kRadius + 2, kRadius + 2);
  }

  // The error under the card, so a failed run explains itself on the canvas.
  if (!error_.isEmpty()) {
    const qreal line = fm.lineSpacing();
    QRectF box(0, height_ + 8, width_, kMaxErrorLines * line + 8);
    QRectF text_rect = box.adjusted(8, 4, -8, -4);
    QRectF needed = fm.boundingRect(text_rect, Qt::TextWordWrap, error_);
    box.setHeight(std::min(needed.height(), kMaxErrorLines * line) + 8);
    painter->setPen(QPen(colors::error, 1));
    painter->setBrush(QColor(0x3a, 0x1f, 0x22));
    painter->drawRoundedRect(box, 5, 5);
    painter->setPen(QColor(0xff, 0xcd, 0xd2));
    painter->setClipRect(box.adjusted(0, 0, 0, -2));
    painter->drawText(box.adjusted(8, 4, -8, -4), Qt::TextWordWrap, error_);
    painter->setClipping(false);
  }
}

void NodeItem::set_summary(const QVector<QPair<QString, QString>>& lines) {
  if (lines == summary_) return;
  summary_ = lines;
  layout();
  Q_EMIT moved();  // ports may have shifted horizontally with the new width
}

void NodeItem::set_run_state(NodeRunState state, const QString& error) {
  prepareGeometryChange();
  state_ = state;
  error_ = state == NodeRunState::Failed ? error : QString();
  if (state != NodeRunState::Running) progress_ = -1;
  update();
}

void NodeItem::set_progress(double fraction) {
  progress_ = fraction;
  update();
}

QRectF NodeItem::note_rect() const {
  QFontMetricsF fm(body_font());
  const QRectF area(kPad, note_top_ + 2, width_ - 2 * kPad, 3 * fm.lineSpacing());
  const QRectF needed = fm.boundingRect(area, Qt::TextWordWrap, note_);
  return QRectF(area.topLeft(), QSizeF(area.width(), std::min(needed.height(), area.height())));
}

void NodeItem::set_note(const QString& note) {
  if (note == note_) return;
  note_ = note;
  layout();
}

void NodeItem::set_problem(const QString& message) {
  problem_ = message;
  update();
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
  if (change == ItemPositionHasChanged) Q_EMIT moved();
  return QGraphicsObject::itemChange(change, value);
}

}  // namespace ng::editor
