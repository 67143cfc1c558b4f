// The enum parameters of the MuseCL algorithms, one table each: the options in display order and
// the value each stands for. A parameter's option list is built from its table and its choice is
// read through it, so an option index means one thing wherever the parameter is declared, and a
// message can name an option by its value.
#pragma once

#include "musecl_parameter_names.h"

#include <qgsprocessingalgorithm.h>
#include <qgsprocessingparameters.h>

#include <QStringList>
#include <string>
#include <vector>

namespace musecl
{
  enum class DeviceChoice;
  enum class TripletDistance;
  enum class SimilarityScale;
  enum class EmbeddingOutput;
  enum class Augmentation;
  enum class ChipFormat;
  enum class HexCoverage;
  enum class Evaluation;
  enum class SceneScale;
} // namespace musecl

// FLOW_TYPE: what the features of a flow layer are.
enum class MuseclFlowType
{
  OdLines,    // one flow per line, from its first vertex to its last
  TripPoints, // one trip end per point, with an origin/destination field
};

// RS_MODE of musecl:train: how the remote-sensing raster becomes a view.
enum class MuseclRasterMode
{
  SceneFeatures, // an encoder learned from the whole scene, zonal statistics of its features
  ChipTriplets,  // one chip per region, triplet-trained CNN (the paper)
  Both,
};

// MODEL of musecl:predict: a predictor, or the choice by the number of labelled regions.
enum class MuseclPredictModel
{
  Mlp,
  Ridge,
  Automatic,
};

// One enum parameter: its key, its options in display order with their values, and its default.
template <typename T> class MuseclEnumParameter
{
  public:
    struct Option
    {
        const char
            *label; // QT_TRANSLATE_NOOP( "QObject", ... ), or a name shown as it is when the table is not translated
        T value;
    };

    // `translated` false: the labels are names shown as they are (auto, cpu, GeoTIFF).
    MuseclEnumParameter( const QString &name, std::vector<Option> options, T defaultValue, bool translated = true )
        : mName( name ), mOptions( std::move( options ) ), mDefault( defaultValue ), mTranslated( translated )
    {
    }

    const QString &name() const { return mName; }

    // The option labels in display order, translated.
    QStringList labels() const
    {
      QStringList labels;
      for ( const Option &option : mOptions )
        labels << ( mTranslated ? QObject::tr( option.label ) : QString::fromUtf8( option.label ) );
      return labels;
    }

    // The option index of `value`; -1 when no option stands for it.
    int index( const T &value ) const
    {
      for ( std::size_t i = 0; i < mOptions.size(); ++i )
        if ( mOptions[i].value == value )
          return static_cast<int>( i );
      return -1;
    }

    // The value of option `index`. An index outside the options reads as the default, as
    // QgsProcessingParameters::parameterAsEnum reads one past the end.
    T value( int index ) const
    {
      return index >= 0 && index < static_cast<int>( mOptions.size() )
                 ? mOptions[static_cast<std::size_t>( index )].value
                 : mDefault;
    }

    // The parameter definition (one choice, not optional) with `description`.
    QgsProcessingParameterEnum *create( const QString &description ) const
    {
      return new QgsProcessingParameterEnum( mName, description, labels(), false, index( mDefault ) );
    }

    // The value chosen in `parameters`.
    T read( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
            QgsProcessingContext &context ) const
    {
      return value(
          QgsProcessingParameters::parameterAsEnum( algorithm->parameterDefinition( mName ), parameters, context ) );
    }

  private:
    QString mName;
    std::vector<Option> mOptions;
    T mDefault;
    bool mTranslated;
};

// The tables, each built on first use.
namespace MuseclEnum
{
  // DEVICE of musecl:train and musecl:embed: auto, cpu, cuda.
  const MuseclEnumParameter<musecl::DeviceChoice> &device();
  // FLOW_TYPE of musecl:train and musecl:embed.
  const MuseclEnumParameter<MuseclFlowType> &flowType();
  // FLOW_TYPE of musecl:mobilityfeatures: the same values, with labels that say which vertex or
  // field means what.
  const MuseclEnumParameter<MuseclFlowType> &mobilityFlowType();
  // musecl:train. The backbones' values are the core's backbone names.
  const MuseclEnumParameter<musecl::TripletDistance> &tripletLoss();
  const MuseclEnumParameter<std::string> &remoteSensingBackbone();
  const MuseclEnumParameter<std::string> &streetViewBackbone();
  const MuseclEnumParameter<musecl::SimilarityScale> &similarity();
  const MuseclEnumParameter<musecl::EmbeddingOutput> &embeddingOutput();
  const MuseclEnumParameter<musecl::Augmentation> &augmentation();
  const MuseclEnumParameter<MuseclRasterMode> &rasterMode();
  const MuseclEnumParameter<musecl::SceneScale> &sceneScale();
  // FORMAT of musecl:imagechips.
  const MuseclEnumParameter<musecl::ChipFormat> &chipFormat();
  // COVERAGE of musecl:hexgrid.
  const MuseclEnumParameter<musecl::HexCoverage> &hexCoverage();
  // MODEL and EVALUATION of musecl:predict. The label of the automatic model has a %1 for the
  // number of labelled regions up to which it chooses ridge.
  const MuseclEnumParameter<MuseclPredictModel> &predictModel();
  const MuseclEnumParameter<musecl::Evaluation> &evaluation();
} // namespace MuseclEnum
